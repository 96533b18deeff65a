# `cpack -G DEB` (in a build directory): the libdgrid-dev package of what
# `cmake --install` installs, under /usr, depending on Debian 12's Boost and
# OpenSSL development packages.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME libdgrid-dev)
set(CPACK_PACKAGE_VENDOR "dgrid-cpp")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION} (development files)")
set(CPACK_PACKAGE_DESCRIPTION "C++20 client for the DGrid AI gateway on Boost.Asio: typed chat completions and \
streams over pooled TLS connections, with retries, deadlines and cancellation. Headers, the static library, \
the CMake package, dgrid.pc and the dgrid-emulator test server.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "dgrid-cpp developers")
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libboost1.81-dev, libboost-json1.81-dev, libssl-dev, pkg-config")
include(CPack)
