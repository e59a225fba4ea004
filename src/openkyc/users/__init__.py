"""The enrolled-user registry: registered faces, disable/enable/delete/re-enrol."""
