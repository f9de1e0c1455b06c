# The Debian package's control data, for `cpack -G DEB` and the `deb` target. Included from the
# top CMakeLists.txt, after add_subdirectory(packaging).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME bpfrouter)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "bpfrouter maintainers <root@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "BGP router with an XDP fast path, a drop-in for BIRD 2")
string(CONCAT CPACK_PACKAGE_DESCRIPTION
       "bpfrouterd reads BIRD 2's bird.conf, speaks BGP to its neighbours and forwards in XDP\n"
       "before the kernel's network stack; bpfrouter shows and controls it (birdc works too)\n"
       "and reports per-prefix traffic from the fast path's counters.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Only the `deb` component of this build (packaging/CMakeLists.txt).
set(CPACK_INSTALL_CMAKE_PROJECTS "${CMAKE_BINARY_DIR};bpfrouter;deb;/")
set(CPACK_STRIP_FILES ON)
# cpack runs the `preinstall` target; without this it would build every test first. `make deb`
# builds what the package holds; `make install` expects a build before it.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "init-system-helpers (>= 1.54~)")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "nftables")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bird2, bash-completion")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
