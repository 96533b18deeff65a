#include "emulator/certificates.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <memory>
#include <stdexcept>

namespace dgrid::emulator {
namespace {

template <class T, void (*Free)(T*)>
struct openssl_deleter {
    void operator()(T* p) const noexcept { Free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_deleter<EVP_PKEY, EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, openssl_deleter<X509, X509_free>>;
using bio_ptr = std::unique_ptr<BIO, openssl_deleter<BIO, BIO_free_all>>;
using bignum_ptr = std::unique_ptr<BIGNUM, openssl_deleter<BIGNUM, BN_free>>;
using extension_ptr = std::unique_ptr<X509_EXTENSION, openssl_deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using general_names_ptr = std::unique_ptr<GENERAL_NAMES, openssl_deleter<GENERAL_NAMES, GENERAL_NAMES_free>>;

constexpr long valid_before_now = 60L * 60;
constexpr long valid_after_now = 24L * 60 * 60;

[[noreturn]] void fail(const char* what) {
    std::array<char, 256> reason{};
    ERR_error_string_n(ERR_get_error(), reason.data(), reason.size());
    ERR_clear_error();
    throw std::runtime_error(std::string("dgrid emulator certificates: ") + what + ": " + reason.data());
}

void check(int result, const char* what) {
    if (result <= 0) {
        fail(what);
    }
}

template <class T>
T* check(T* p, const char* what) {
    if (p == nullptr) {
        fail(what);
    }
    return p;
}

pkey_ptr make_key() { return pkey_ptr(check(EVP_EC_gen("P-256"), "EVP_EC_gen")); }

// A v3 certificate for `key` named `common_name`, with a random positive serial
// so that a client never sees two different certificates with one serial.
x509_ptr new_certificate(EVP_PKEY* key, const std::string& common_name) {
    x509_ptr cert(check(X509_new(), "X509_new"));
    check(X509_set_version(cert.get(), X509_VERSION_3), "X509_set_version");

    std::array<unsigned char, 16> serial{};
    check(RAND_bytes(serial.data(), static_cast<int>(serial.size())), "RAND_bytes");
    serial[0] &= 0x7FU;
    const bignum_ptr bn(check(BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr), "BN_bin2bn"));
    check(BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())), "BN_to_ASN1_INTEGER");

    check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -valid_before_now), "X509_gmtime_adj");
    check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), valid_after_now), "X509_gmtime_adj");
    check(X509_set_pubkey(cert.get(), key), "X509_set_pubkey");

    X509_NAME* name = X509_get_subject_name(cert.get());
    const auto add = [name](const char* field, const std::string& value) {
        check(X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                         reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0),
              "X509_NAME_add_entry_by_txt");
    };
    add("O", "dgrid-emulator");
    add("CN", common_name);
    return cert;
}

// `issuer` may be `cert` itself; the authority key identifier needs it.
void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    const extension_ptr ext(check(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value), "X509V3_EXT_conf_nid"));
    check(X509_add_ext(cert, ext.get(), -1), "X509_add_ext");
}

// Built from GENERAL_NAME values rather than a config string, so that a name
// holding a comma cannot smuggle in another entry.
void add_subject_alt_names(X509* cert, const std::vector<std::string>& names) {
    general_names_ptr sans(check(sk_GENERAL_NAME_new_null(), "sk_GENERAL_NAME_new_null"));
    for (const auto& name : names) {
        GENERAL_NAME* entry = check(GENERAL_NAME_new(), "GENERAL_NAME_new");
        if (ASN1_OCTET_STRING* ip = a2i_IPADDRESS(name.c_str())) {
            GENERAL_NAME_set0_value(entry, GEN_IPADD, ip);
        } else {
            ERR_clear_error(); // not an address: that was the question, not an error
            ASN1_IA5STRING* dns = check(ASN1_IA5STRING_new(), "ASN1_IA5STRING_new");
            if (ASN1_STRING_set(dns, name.data(), static_cast<int>(name.size())) <= 0) {
                ASN1_IA5STRING_free(dns);
                GENERAL_NAME_free(entry);
                fail("ASN1_STRING_set");
            }
            GENERAL_NAME_set0_value(entry, GEN_DNS, dns);
        }
        if (sk_GENERAL_NAME_push(sans.get(), entry) <= 0) {
            GENERAL_NAME_free(entry);
            fail("sk_GENERAL_NAME_push");
        }
    }
    if (!names.empty()) {
        check(X509_add1_ext_i2d(cert, NID_subject_alt_name, sans.get(), 0, X509V3_ADD_DEFAULT), "X509_add1_ext_i2d");
    }
}

std::string pem_of(X509* cert) {
    const bio_ptr bio(check(BIO_new(BIO_s_mem()), "BIO_new"));
    check(PEM_write_bio_X509(bio.get(), cert), "PEM_write_bio_X509");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return {data, static_cast<std::size_t>(size)};
}

std::string pem_of(EVP_PKEY* key) {
    const bio_ptr bio(check(BIO_new(BIO_s_mem()), "BIO_new"));
    check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr), "PEM_write_bio_PrivateKey");
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return {data, static_cast<std::size_t>(size)};
}

} // namespace

certificate_bundle make_certificates(const std::vector<std::string>& names) {
    const pkey_ptr ca_key = make_key();
    const x509_ptr ca = new_certificate(ca_key.get(), "dgrid-emulator test CA");
    check(X509_set_issuer_name(ca.get(), X509_get_subject_name(ca.get())), "X509_set_issuer_name");
    add_extension(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_extension(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    add_extension(ca.get(), ca.get(), NID_subject_key_identifier, "hash");
    add_extension(ca.get(), ca.get(), NID_authority_key_identifier, "keyid:always");
    check(X509_sign(ca.get(), ca_key.get(), EVP_sha256()), "X509_sign");

    const pkey_ptr leaf_key = make_key();
    const x509_ptr leaf = new_certificate(leaf_key.get(), names.empty() ? std::string("localhost") : names.front());
    check(X509_set_issuer_name(leaf.get(), X509_get_subject_name(ca.get())), "X509_set_issuer_name");
    add_extension(leaf.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_extension(leaf.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
    add_extension(leaf.get(), ca.get(), NID_ext_key_usage, "serverAuth");
    add_extension(leaf.get(), ca.get(), NID_subject_key_identifier, "hash");
    add_extension(leaf.get(), ca.get(), NID_authority_key_identifier, "keyid:always");
    add_subject_alt_names(leaf.get(), names);
    check(X509_sign(leaf.get(), ca_key.get(), EVP_sha256()), "X509_sign");

    return {pem_of(ca.get()), pem_of(leaf.get()), pem_of(leaf_key.get())};
}

} // namespace dgrid::emulator
