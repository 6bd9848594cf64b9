"""The JSON API v1 (R-API-1): a face over the domain's selectors and services."""
