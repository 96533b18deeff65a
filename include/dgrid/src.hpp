#ifndef DGRID_SRC_HPP
#define DGRID_SRC_HPP

// Include in exactly one translation unit of a program that defines
// DGRID_SEPARATE_COMPILATION everywhere but does not link dgrid::dgrid.
#ifndef DGRID_SEPARATE_COMPILATION
#error "src.hpp is for DGRID_SEPARATE_COMPILATION builds"
#endif

#include <dgrid/impl/base_url.ipp>
#include <dgrid/impl/client.ipp>
#include <dgrid/impl/error.ipp>
#include <dgrid/impl/error_with_diagnostics.ipp>
#include <dgrid/impl/json.ipp>

#endif
