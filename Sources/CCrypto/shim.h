#ifndef PATCHCHECK_CCRYPTO_SHIM_H
#define PATCHCHECK_CCRYPTO_SHIM_H
#include <openssl/sha.h>
#endif
