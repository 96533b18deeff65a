#ifndef DGRID_EMULATOR_API_ERROR_HPP
#define DGRID_EMULATOR_API_ERROR_HPP

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace dgrid::emulator {

/// An error the emulator answers with: the HTTP status plus the fields of the
/// OpenAI error object `{"error":{"message","type","param","code"}}`. Request
/// handling throws it; the handler turns it into a response.
class api_error : public std::runtime_error {
public:
    /// `message` is the human-readable text; `param` names the offending request
    /// field, if any.
    api_error(unsigned status, const std::string& message, std::string type, std::string code,
              std::optional<std::string> param = std::nullopt);

    /// The HTTP status.
    unsigned status() const noexcept { return status_; }
    /// The error `type`, e.g. `invalid_request_error`.
    const std::string& type() const noexcept { return type_; }
    /// The error `code`, e.g. `invalid_api_key`.
    const std::string& code() const noexcept { return code_; }
    /// The error `param`: the request field at fault, or empty for `null`.
    const std::optional<std::string>& param() const noexcept { return param_; }

private:
    unsigned status_;
    std::string type_;
    std::string code_;
    std::optional<std::string> param_;
};

/// The standard reason phrase of `status` ("Too Many Requests"), or "Error" for
/// a status without one.
std::string_view reason_phrase(unsigned status) noexcept;

/// The error an injected `status=NNN` fault answers with: the `type` and `code`
/// a real gateway sends for that status (429: `rate_limit_error` /
/// `rate_limit_exceeded`, 5xx: `server_error`, ...).
api_error injected_error(unsigned status);

} // namespace dgrid::emulator

#endif
