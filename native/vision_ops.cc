// Tensor operations the vision models need (BatchNorm with running statistics, padded pooling,
// roll, constant padding), in their own file so the shared ops.cc stays untouched. Same pattern:
// unwrap handles, call ATen, wrap the result; every libtorch error is caught at the boundary.
#include "common.h"

namespace hubtune {
namespace {

#define VOP(name) static Napi::Value name(const Napi::CallbackInfo& info)
#define VBODY(expr) { HT_TRY return (expr); HT_CATCH }
#define VRET(t) TensorWrap::Wrap(info.Env(), (t))

// batchNorm(x, weight|null, bias|null, runningMean|null, runningVar|null, training, momentum, eps):
// torch.batch_norm as nn.BatchNorm2d calls it; in training mode libtorch updates the running
// statistics in place (running = (1 - momentum) * running + momentum * batch, unbiased variance).
VOP(batchNorm) VBODY(VRET(at::batch_norm(T(info[0]), OptT(info[1]), OptT(info[2]), OptT(info[3]), OptT(info[4]), B(info[5]), D(info[6]), D(info[7]),
                                     /*cudnn_enabled=*/true)))
// maxPool2dPadded(x, kernel[2], stride[2], padding[2], dilation[2], ceilMode)
VOP(maxPool2dPadded) VBODY(VRET(at::max_pool2d(T(info[0]), IL(info[1]), IL(info[2]), IL(info[3]), IL(info[4]), B(info[5]))))
// avgPool2dPadded(x, kernel[2], stride[2], padding[2], ceilMode, countIncludePad)
VOP(avgPool2dPadded) VBODY(VRET(at::avg_pool2d(T(info[0]), IL(info[1]), IL(info[2]), IL(info[3]), B(info[4]), B(info[5]))))
// roll(x, shifts[], dims[])
VOP(roll) VBODY(VRET(at::roll(T(info[0]), IL(info[1]), IL(info[2]))))
// constantPad(x, pad[] (last dim first, as F.pad), value)
VOP(constantPad) VBODY(VRET(at::constant_pad_nd(T(info[0]), IL(info[1]), at::Scalar(D(info[2])))))

}  // namespace

void RegisterVisionOps(Napi::Env env, Napi::Object exports) {
  HT_EXPORT(exports, "batchNorm", batchNorm);
  HT_EXPORT(exports, "maxPool2dPadded", maxPool2dPadded);
  HT_EXPORT(exports, "avgPool2dPadded", avgPool2dPadded);
  HT_EXPORT(exports, "roll", roll);
  HT_EXPORT(exports, "constantPad", constantPad);
}

}  // namespace hubtune
