/* Integer hashing for deterministic pseudo-random choices and hash tables:
 * the same input gives the same output on every run and machine. Pure. */
#ifndef MER_HASH_H
#define MER_HASH_H

#include <stdint.h>

/* SplitMix64's finaliser: a bijection on 64 bits whose output bits all depend
 * on every input bit. */
static inline uint64_t mer_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

#endif
