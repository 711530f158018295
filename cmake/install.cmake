# What `cmake --install <build> --prefix PREFIX` puts where, and the package other CMake projects
# find with find_package(faceunlock):
#
#   PREFIX/bin/faceunlock                         the CLI (finds its models as below)
#   PREFIX/share/faceunlock/models/               the shipped models and their cards
#   PREFIX/include/faceunlock/<part>/*.h          headers of src/ (#include "nn/model.h")
#   PREFIX/lib/libfaceunlock_<part>.a             one static library per part
#   PREFIX/lib/cmake/faceunlock/                  faceunlockConfig.cmake, targets, version
#
# Imported targets: faceunlock::base, ::image, ::nn, ::face, ::unlock, ::train (each brings the
# parts below it, as in DESIGN.md). Included once, at the end of the top-level CMakeLists.txt,
# so every target already exists. The WebAssembly build installs nothing (web/dist/ is npm's).
if(EMSCRIPTEN)
  return()
endif()

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# One version for npm and CMake: package.json's.
file(READ ${PROJECT_SOURCE_DIR}/package.json faceunlock_package_json)
string(JSON FACEUNLOCK_VERSION GET "${faceunlock_package_json}" version)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/package.json)

set(faceunlock_models_subdir ${CMAKE_INSTALL_DATADIR}/faceunlock/models)
if(TARGET faceunlock)
  # The CLI looks for its models at this path relative to its own directory first.
  file(RELATIVE_PATH faceunlock_models_from_bin /${CMAKE_INSTALL_BINDIR} /${faceunlock_models_subdir})
  target_compile_definitions(faceunlock PRIVATE
      FACEUNLOCK_VERSION="${FACEUNLOCK_VERSION}"
      FACEUNLOCK_MODELS_FROM_BIN="${faceunlock_models_from_bin}")
  install(TARGETS faceunlock RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

file(GLOB faceunlock_model_files ${PROJECT_SOURCE_DIR}/models/*.fum)
install(FILES ${faceunlock_model_files} ${PROJECT_SOURCE_DIR}/models/README.md
        DESTINATION ${faceunlock_models_subdir})

install(DIRECTORY ${PROJECT_SOURCE_DIR}/src/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/faceunlock
        FILES_MATCHING PATTERN "*.h")

# The parts' include directory is the source tree's src/ (faceunlock_part in CMakeLists.txt);
# installed, it is include/faceunlock. faceunlock_warnings is exported only because static
# libraries carry their private link dependencies; it adds nothing to a consumer's compile.
set(faceunlock_exported faceunlock_warnings)
foreach(part base image nn face unlock train)
  if(TARGET faceunlock_${part})
    list(APPEND faceunlock_exported faceunlock_${part})
    set_target_properties(faceunlock_${part} PROPERTIES EXPORT_NAME ${part})
    set_property(TARGET faceunlock_${part} PROPERTY INTERFACE_INCLUDE_DIRECTORIES
        $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/src>
        $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/faceunlock>)
  endif()
endforeach()
set_target_properties(faceunlock_warnings PROPERTIES EXPORT_NAME warnings)

install(TARGETS ${faceunlock_exported} EXPORT faceunlockTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
set(faceunlock_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/faceunlock)
install(EXPORT faceunlockTargets NAMESPACE faceunlock:: DESTINATION ${faceunlock_cmake_dir})

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/faceunlockConfig.cmake.in
    ${CMAKE_CURRENT_BINARY_DIR}/faceunlockConfig.cmake
    INSTALL_DESTINATION ${faceunlock_cmake_dir}
    PATH_VARS faceunlock_models_subdir)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/faceunlockConfigVersion.cmake
    VERSION ${FACEUNLOCK_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/faceunlockConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/faceunlockConfigVersion.cmake
        DESTINATION ${faceunlock_cmake_dir})
