// The light half of the compiled library: errors, the JSON mapping, URLs.
#include <dgrid/impl/base_url.ipp>
#include <dgrid/impl/error.ipp>
#include <dgrid/impl/error_with_diagnostics.ipp>
#include <dgrid/impl/json.ipp>
