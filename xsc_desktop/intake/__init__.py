"""Posting-doc intake: `extract` (file → text and tables), `analyze` (text → draft parser setup),
`store` (docs kept by content hash, drafts applied to a lander), `review` (what the review dialog shows)."""
