"""What this server supports: GET /v1/services (ID-number types per country and per hosted-web
product) and POST /v1/valid_documents (document types per country for Document Verification)."""
