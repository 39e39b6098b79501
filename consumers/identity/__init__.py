"""Identity: pseudonyms (the Python twin of the collector's) and verification of the IdP's tokens."""
