"""Who a data point belongs to: identities and their pseudonyms."""
