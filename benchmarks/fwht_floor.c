/* Memory floors of a large FWHT on this machine, without Numba in the way.
 *
 *   gcc -O2 -march=native -fopenmp benchmarks/fwht_floor.c -o /tmp/fwht_floor
 *   /tmp/fwht_floor
 *
 * For one vector of N = 2^24 float64 (134 MB), best of 7, on 1 and 2 threads:
 *   memcpy     one copy into an existing array (the "pass" of RESULTS.md)
 *   rmw        one read-modify-write sweep (x *= c): what a tile pass costs
 *   fresh      first write to a new array (mmap + MADV_HUGEPAGE, one store per
 *              4 KiB): the kernel zeroing the pages of a new result
 *   panel      the high stages of a 2-pass plan: for each panel of R rows
 *              (N/R elements apart) x W columns, gather it into a contiguous
 *              scratch, scale it, and scatter it back with regular or
 *              non-temporal (nt=1) stores. No butterflies: memory cost only.
 */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define N (1L << 24)

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static void rmw(double *a) {
#pragma omp parallel for schedule(static)
    for (long i = 0; i < N; i++) a[i] *= 1.0000001;
}

static void fresh(void) {
    double *a = mmap(NULL, N * 8, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    madvise(a, N * 8, MADV_HUGEPAGE);
#pragma omp parallel for schedule(static)
    for (long i = 0; i < N; i += 512) a[i] = 1.0;
    munmap(a, N * 8);
}

static void panel(double *a, long R, long W, int nt) {
    long S = N / R;
#pragma omp parallel
    {
        double *scr = aligned_alloc(64, R * W * 8);
#pragma omp for schedule(static)
        for (long p = 0; p < S / W; p++) {
            long o = p * W;
            for (long k = 0; k < R; k++) memcpy(scr + k * W, a + k * S + o, W * 8);
            for (long k = 0; k < R * W; k++) scr[k] *= 1.0000001;
            for (long k = 0; k < R; k++) {
                double *d = a + k * S + o, *s = scr + k * W;
                for (long c = 0; c < W; c += 4) {
                    if (nt)
                        _mm256_stream_pd(d + c, _mm256_load_pd(s + c));
                    else
                        _mm256_storeu_pd(d + c, _mm256_load_pd(s + c));
                }
            }
        }
        free(scr);
    }
    _mm_sfence();
}

#define BEST(expr)                                  \
    ({                                              \
        double best_ = 1e9;                         \
        for (int r_ = 0; r_ < 7; r_++) {            \
            double t_ = now();                      \
            expr;                                   \
            t_ = now() - t_;                        \
            if (t_ < best_) best_ = t_;             \
        }                                           \
        best_ * 1e3;                                \
    })

int main(void) {
    double *a = aligned_alloc(1 << 21, N * 8), *b = aligned_alloc(1 << 21, N * 8);
    for (long i = 0; i < N; i++) a[i] = b[i] = 1.0;
    for (int th = 2; th >= 1; th--) {
        omp_set_num_threads(th);
        printf("threads=%d: memcpy %.1f ms, rmw %.1f ms, fresh %.1f ms\n", th,
               BEST(memcpy(b, a, N * 8)), BEST(rmw(a)), BEST(fresh()));
        for (long W = 32; W <= 256; W *= 2)
            for (int nt = 0; nt < 2; nt++)
                printf("  panel R=512 W=%ld nt=%d: %.1f ms\n", W, nt,
                       BEST(panel(a, 512, W, nt)));
    }
    return 0;
}
