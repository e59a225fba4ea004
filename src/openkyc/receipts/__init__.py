"""KYC receipts: one PDF per completed Biometric KYC, Document Verification and Enhanced Document
Verification job, without personal data, behind an expiring signed link."""
