# A service is imported by its name.
terraform import appmap_service.search_api search-api
