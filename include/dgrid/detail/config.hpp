#ifndef DGRID_DETAIL_CONFIG_HPP
#define DGRID_DETAIL_CONFIG_HPP

// DGRID_SEPARATE_COMPILATION (set by the CMake target dgrid::dgrid): the
// non-template code is compiled once in the library and headers only declare it.
// Without it the library is header-only: every header pulls in its
// implementation, and the network stack with it.
//
// Compiled, DGRID_DECL marks what the library exports: a shared build
// (BUILD_SHARED_LIBS) keeps default visibility for everything else too, since
// Asio's error categories are function-local statics that the library and
// the program must share, but the marks say what the interface is.
#ifdef DGRID_SEPARATE_COMPILATION
#if defined(__GNUC__)
#define DGRID_DECL __attribute__((visibility("default")))
#else
#define DGRID_DECL
#endif
#else
#define DGRID_DECL inline
#endif

#endif
