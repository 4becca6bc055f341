"""Inbound worker benchmark (see __main__)."""
