/* What a binary says about its own build: the git revision it was configured from (--version,
 * titanic_build_info). TITANIC_VERSION, the release number, is a compile definition. */
#ifndef TITANIC_BUILD_INFO_H
#define TITANIC_BUILD_INFO_H

/* TITANIC_GIT_REVISION given to CMake, else `git rev-parse --short HEAD` at configure time, else
 * "unknown". Defined in the generated build_info.c. */
extern const char titanic_git_revision[];

#endif
