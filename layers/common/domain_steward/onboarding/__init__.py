"""Onboarding and offboarding from IAM Identity Center (issue 7): events → desired state → converge, and the
periodic reconciliation that repairs what events miss."""
