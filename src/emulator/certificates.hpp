#ifndef DGRID_EMULATOR_CERTIFICATES_HPP
#define DGRID_EMULATOR_CERTIFICATES_HPP

#include <string>
#include <vector>

namespace dgrid::emulator {

/// A throw-away PKI for one emulator run, all in PEM.
struct certificate_bundle {
    std::string ca_certificate;   ///< the CA that clients trust
    std::string leaf_certificate; ///< the server's certificate, signed by the CA
    std::string leaf_private_key; ///< the server's private key (PKCS#8)
};

/// Generates, with OpenSSL, a CA (EC P-256, `CA:TRUE`, `keyCertSign`) and a leaf
/// it signs (EC P-256, `serverAuth`), both valid from an hour ago for one day.
/// Each of `names` becomes a subject alternative name of the leaf: an IP
/// address SAN when it parses as IPv4 or IPv6, a DNS SAN otherwise. Throws
/// `std::runtime_error` with OpenSSL's reason on failure.
certificate_bundle make_certificates(const std::vector<std::string>& names);

} // namespace dgrid::emulator

#endif
