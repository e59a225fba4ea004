"""The result-code tables of the products: one module per product, beside the product it answers for.

Every result code and text a product answers with is written here and nowhere else (the products'
decisions name rows, never codes). Quoted from Smile ID's documentation (the Smile ID product pages): Document
Verification ("General Failures", "Product Specific" and "Human Review Rejection" tables),
SmartSelfie™ Authentication, SmartSelfie™ Registration ("Result Codes and Texts Specific to
Registering a User") and SmartSelfie™ Compare. Texts are copied as printed, typos included ("No
Match - - No Face Match", "There an an error"): partners match on them. Footnote markers ("*")
after a text are not part of it. Biometric KYC's rows, and the ID look-up's (:mod:`.id_lookup`,
shared with Enhanced/Basic KYC), say where they come from in their ``origin``.

A table cell of Smile ID's documentation can hold two lines: the ResultText, then a judgement line ("Authenticate
User" / "Machine Judgement - PASS"). Rows with only a judgement line ("Machine Judgement - PURE
PROVISIONAL") use it as their ResultText; the judgement is kept for reviewers either way.

The row type and its builders are in :mod:`.rows`; descriptions several tables print alike in
:mod:`.shared`. Which rows each product answers with: ``openkyc.products.catalogue.CATALOGUE``.
"""
