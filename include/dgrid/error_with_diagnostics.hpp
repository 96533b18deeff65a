#ifndef DGRID_ERROR_WITH_DIAGNOSTICS_HPP
#define DGRID_ERROR_WITH_DIAGNOSTICS_HPP

#include <dgrid/detail/config.hpp>
#include <dgrid/diagnostics.hpp>
#include <dgrid/error.hpp>

#include <boost/system/system_error.hpp>

namespace dgrid {

/// The exception a failed operation throws when awaited with
/// `dgrid::with_diagnostics` (the default token): the `error_code` and what
/// the server said. `what()` summarises both.
class error_with_diagnostics : public boost::system::system_error {
public:
    /// The exception for the failure `ec`, with what `diag` says about it.
    DGRID_DECL error_with_diagnostics(error_code ec, diagnostics diag);

    /// What the gateway or the client said about the failure.
    const diagnostics& get_diagnostics() const noexcept { return diag_; }

private:
    diagnostics diag_;
};

/// Throws `error_with_diagnostics` when `ec` is an error.
DGRID_DECL void throw_on_error(error_code ec, const diagnostics& diag);

} // namespace dgrid

#ifndef DGRID_SEPARATE_COMPILATION
#include <dgrid/impl/error_with_diagnostics.ipp>
#endif

#endif
