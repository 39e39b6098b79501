"""Privacy by design: retention settings, the forget list, erasure of one person (`ccstream forget`) and
pseudonym resolution (`ccstream whois`)."""
