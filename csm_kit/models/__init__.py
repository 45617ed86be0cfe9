"""Survival churn models and CLV models."""
