// gpu_load.cu - keeps GPU 0 busy with dense FMA work for a given number of
// seconds, so that its power meters have something to measure.
//   nvcc -O2 -o gpu_load bench/gpu_load.cu && ./gpu_load 60
#include <cstdio>
#include <cstdlib>
#include <chrono>
#include <cuda_runtime.h>

__global__ void burn(float *out, int iters)
{
    float a = threadIdx.x * 1e-3f, b = 1.0001f, c = 0.9999f;
    for (int i = 0; i < iters; i++) {
        a = fmaf(a, b, c);
        b = fmaf(b, c, a * 1e-7f);
    }
    out[blockIdx.x * blockDim.x + threadIdx.x] = a + b;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 60.0;
    int blocks = 132 * 32, threads = 256;
    float *out;
    if (cudaMalloc(&out, sizeof(float) * blocks * threads) != cudaSuccess) {
        fprintf(stderr, "gpu_load: cudaMalloc failed\n");
        return 1;
    }
    auto start = std::chrono::steady_clock::now();
    long launches = 0;
    while (std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start).count() < seconds) {
        burn<<<blocks, threads>>>(out, 1 << 16);
        if (++launches % 8 == 0)
            cudaDeviceSynchronize();
    }
    cudaDeviceSynchronize();
    cudaFree(out);
    printf("gpu_load: %ld launches in %.1f s\n", launches, seconds);
    return 0;
}
