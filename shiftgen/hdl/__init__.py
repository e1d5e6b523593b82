"""Amaranth hardware shared by every family."""
