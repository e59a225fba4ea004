"""Jobs: what a partner submits for asynchronous processing, and how it is taken in."""
