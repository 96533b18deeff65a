# What `cmake --install` puts in place: the headers (<dgrid/version.hpp>
# generated), the library, the CMake package (dgridConfig.cmake, its version
# file and the exported targets dgrid::dgrid, dgrid::header_only and, when it
# is built, dgrid::emulator) and dgrid.pc for pkg-config. The emulator adds
# itself in src/emulator.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(dgrid_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/dgrid)

install(TARGETS dgrid dgrid_header_only EXPORT dgridTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The emulator's headers go with the emulator (src/emulator).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/dgrid DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        PATTERN emulator EXCLUDE)
install(FILES ${PROJECT_BINARY_DIR}/include/dgrid/version.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/dgrid)
install(EXPORT dgridTargets NAMESPACE dgrid:: DESTINATION ${dgrid_cmake_dir})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/dgridConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/dgridConfig.cmake INSTALL_DESTINATION ${dgrid_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/dgridConfigVersion.cmake COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/dgridConfig.cmake ${PROJECT_BINARY_DIR}/dgridConfigVersion.cmake
        DESTINATION ${dgrid_cmake_dir})

# dgrid.pc finds the prefix from its own place, so that an unpacked package
# works wherever it was unpacked.
set(dgrid_pc_dir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH DGRID_PC_TO_PREFIX /prefix/${dgrid_pc_dir} /prefix)
configure_file(${PROJECT_SOURCE_DIR}/cmake/dgrid.pc.in ${PROJECT_BINARY_DIR}/dgrid.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/dgrid.pc DESTINATION ${dgrid_pc_dir})
