"""Endpoints grouped by page type: parse, call one service, render or redirect."""
