#!/usr/bin/env node
// Finds libtorch for node-gyp, in this order: $LIBTORCH (an unpacked libtorch folder),
// LIBTORCH_USE_PYTORCH=1 (the libtorch inside an installed Python PyTorch: the way to CUDA),
// then the system (Debian's libtorch-dev). Prints one gyp list for the asked part.
import { existsSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

function fromRoot(root, how) {
  const lib = join(root, 'lib');
  return { how, include: [join(root, 'include'), join(root, 'include/torch/csrc/api/include')], libdir: lib, rpath: true };
}

function locate() {
  if (process.env.LIBTORCH) {
    if (!existsSync(join(process.env.LIBTORCH, 'include'))) {
      throw new Error(`LIBTORCH=${process.env.LIBTORCH} has no include/ folder: point it at an unpacked libtorch`);
    }
    return fromRoot(process.env.LIBTORCH, 'LIBTORCH');
  }
  if (process.env.LIBTORCH_USE_PYTORCH === '1') {
    const py = process.env.PYTHON ?? 'python3';
    const root = execFileSync(py, ['-c', 'import torch, os; print(os.path.dirname(torch.__file__))'], { encoding: 'utf8' }).trim();
    return fromRoot(root, 'LIBTORCH_USE_PYTORCH');
  }
  const inc = '/usr/include/torch/csrc/api/include';
  if (!existsSync(inc)) {
    throw new Error('libtorch not found: install it with `apt-get install libtorch-dev libopenblas0-pthread`, or set LIBTORCH or LIBTORCH_USE_PYTORCH=1');
  }
  return { how: 'system', include: ['/usr/include', inc], libdir: null, rpath: false };
}

function cxx11Abi(libdir) {
  // Official libtorch zips may use the pre-C++11 ABI; pip wheels of torch 2.x use the new one.
  if (!libdir) return 1;
  try {
    const out = execFileSync('nm', ['-D', '--defined-only', join(libdir, 'libc10.so')], { encoding: 'utf8', maxBuffer: 1 << 28 });
    return out.includes('__cxx11') ? 1 : 0;
  } catch { return 1; }
}

const part = process.argv[2];
const lt = locate();
if (part === 'include') {
  const inc = [...lt.include];
  // ProcessGroupNCCL.hpp includes CUDA's headers.
  if (lt.libdir && existsSync(join(lt.libdir, 'libtorch_cuda.so')) && existsSync('/usr/local/cuda/include')) inc.push('/usr/local/cuda/include');
  console.log(inc.join(' '));
}
else if (part === 'defines') {
  // c10d's NCCL process group compiles only with a CUDA libtorch and nccl.h (Gloo: native/distributed.cc checks its headers).
  const defs = [`_GLIBCXX_USE_CXX11_ABI=${cxx11Abi(lt.libdir)}`];
  const incs = [...lt.include, '/usr/include', '/usr/local/include'];
  const cuda = lt.libdir && existsSync(join(lt.libdir, 'libtorch_cuda.so'));
  const ncclInc = [...incs, '/usr/local/cuda/include'].some((d) => existsSync(join(d, 'nccl.h')));
  if (cuda && ncclInc && process.env.HUBTUNE_NO_NCCL !== '1') defs.push('USE_C10D_NCCL');
  console.log(defs.join(' '));
}
else if (part === 'libs') {
  const libs = [];
  if (lt.libdir) libs.push(`-L${lt.libdir}`, `-Wl,-rpath,${lt.libdir}`);
  // --no-as-needed keeps libtorch_cuda linked although no symbol of it is referenced directly.
  libs.push('-Wl,--no-as-needed', '-ltorch', '-ltorch_cpu', '-lc10');
  if (lt.libdir && existsSync(join(lt.libdir, 'libtorch_cuda.so'))) libs.push('-ltorch_cuda', '-lc10_cuda');
  libs.push('-Wl,--as-needed', '-ldl');
  console.log(libs.join(' '));
} else if (part === 'describe') console.log(JSON.stringify(lt));
else { console.error('usage: libtorch-config.mjs include|defines|libs|describe'); process.exit(2); }
