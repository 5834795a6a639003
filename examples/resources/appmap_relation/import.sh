# A relation is imported by its id, FROM->TO:PROTOCOL; the next plan fills in
# the rest of its configuration in place.
terraform import appmap_relation.frontend_to_search 'frontend->search-api:https'
