// Backend selection and the wasm kernel fixes; see select.ts, matmulFix.ts.
export { initBackend, describeBackend, type BackendInfo, type GpuInfo, type InitOptions, type RunningBackend } from './select';
export { addBackendOption, BACKEND_HELP } from './option';
export { runtimeVersions, type RuntimeVersions } from './versions';
export { installMatmulFix, removeMatmulFix, matmulFixInstalled } from './matmulFix';
export { registerSgdMomentumKernels, sgdMomentumFused, setFusedOptimizer, SGD_MOMENTUM_KERNEL } from './kernels/sgdMomentum';
export { probeWebgpuAdapter, adapterName, WEBGPU_INSTALL, type WebgpuAdapterInfo } from './webgpu';
export { readableOnHost } from './hostRead';
