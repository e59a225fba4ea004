"""AML screening (job_type 10): sanctions and PEP lists loaded into the database, names matched fuzzily."""
