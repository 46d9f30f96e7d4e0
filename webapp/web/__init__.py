"""The web boundary shared by every blueprint: request parameters, error pages, the write choreography."""
