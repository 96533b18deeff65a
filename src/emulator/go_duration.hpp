#ifndef DGRID_EMULATOR_GO_DURATION_HPP
#define DGRID_EMULATOR_GO_DURATION_HPP

#include <chrono>
#include <string>

namespace dgrid::emulator {

/// `duration` written as Go's `time.Duration.String()` writes it, the format of
/// OpenAI's `x-ratelimit-reset-*` headers, to the millisecond:
/// - zero (or less): `0s`;
/// - under a second: whole milliseconds, `20ms`, `999ms`;
/// - else hours if any, minutes if any or if there are hours, then seconds
///   with their fraction stripped of trailing zeros: `1s`, `8.64s`, `19.995s`,
///   `1m30s`, `6m0s`, `1h0m0s`.
std::string to_go_duration(std::chrono::milliseconds duration);

} // namespace dgrid::emulator

#endif
