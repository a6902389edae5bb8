// Tensor operations exposed to TypeScript. Each binding unwraps handles, calls ATen, wraps
// the result. Nothing here computes on its own: the math is libtorch's.
#include "common.h"
#include <ATen/core/grad_mode.h>
#include <ATen/TensorIndexing.h>
#include <torch/csrc/autograd/function.h>
#include <cstring>
#include <limits>

namespace hubtune {
namespace {

#define OP(name) static Napi::Value name(const Napi::CallbackInfo& info)
#define BODY(expr) { HT_TRY return (expr); HT_CATCH }
#define RET(t) TensorWrap::Wrap(info.Env(), (t))
#define UNDEF info.Env().Undefined()

at::Scalar S(const Napi::Value& v) {
  if (v.IsBoolean()) return at::Scalar(v.As<Napi::Boolean>().Value());
  return at::Scalar(v.As<Napi::Number>().DoubleValue());
}
at::TensorOptions Opts(const Napi::CallbackInfo& info, size_t dtypeIdx) {
  at::TensorOptions o;
  o = o.dtype(Has(info, dtypeIdx) ? DT(info[dtypeIdx]) : at::kFloat);
  o = o.device(Has(info, dtypeIdx + 1) ? Dev(info[dtypeIdx + 1]) : at::Device(at::kCPU));
  return o;
}
c10::optional<at::ScalarType> OptDT(const Napi::CallbackInfo& info, size_t i) {
  if (!Has(info, i)) return c10::nullopt;
  return DT(info[i]);
}

// ---- metadata ---------------------------------------------------------------
OP(shape) BODY(ToIntArray(info.Env(), T(info[0]).sizes()))
OP(strides) BODY(ToIntArray(info.Env(), T(info[0]).strides()))
OP(dtype) BODY(Napi::Number::New(info.Env(), DTCode(T(info[0]).scalar_type())))
OP(device) BODY(Napi::String::New(info.Env(), T(info[0]).device().str()))
OP(numel) BODY(Napi::Number::New(info.Env(), static_cast<double>(T(info[0]).numel())))
OP(isContiguous) BODY(Napi::Boolean::New(info.Env(), T(info[0]).is_contiguous()))
OP(requiresGrad) BODY(Napi::Boolean::New(info.Env(), T(info[0]).requires_grad()))
OP(isLeaf) BODY(Napi::Boolean::New(info.Env(), T(info[0]).is_leaf()))
OP(sameStorage) BODY(Napi::Boolean::New(info.Env(), T(info[0]).is_alias_of(T(info[1]))))
OP(gradFn) {
  HT_TRY
  auto& t = T(info[0]);
  if (!t.grad_fn()) return info.Env().Null();
  std::string name = t.grad_fn()->name();
  // A float32 Linear on oneDNN (dnnl_gemm.cc) is one C++ autograd node: name it as PyTorch's
  // at::linear would print for the same call, so tensors print the same grad_fn.
  if (name.find("DnnlLinear") != std::string::npos) {
    const auto& e = t.grad_fn()->next_edges();
    bool bias = e.size() == 3 && e[2].is_valid();
    name = t.dim() == 2 ? (bias ? "AddmmBackward0" : "MmBackward0") : t.dim() == 1 ? (bias ? "AddBackward0" : "SqueezeBackward4") : (bias ? "ViewBackward0" : "UnsafeViewBackward0");
  }
  return Napi::String::New(info.Env(), name);
  HT_CATCH
}

// ---- creation ---------------------------------------------------------------
// fromBuffer(typedArray, shape, dtypeCode, device)
OP(fromBuffer) {
  HT_TRY
  auto ta = info[0].As<Napi::TypedArray>();
  auto shape = IL(info[1]);
  auto dt = DT(info[2]);
  auto t = at::empty(shape, at::TensorOptions().dtype(dt));
  size_t need = static_cast<size_t>(t.numel()) * t.element_size();
  if (ta.ByteLength() != need) ThrowJs(info.Env(), "data has " + std::to_string(ta.ByteLength()) + " bytes but the shape and dtype need " + std::to_string(need));
  uint8_t* src = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  if (need) std::memcpy(t.data_ptr(), src, need);
  if (Has(info, 3)) { auto d = Dev(info[3]); if (!d.is_cpu()) t = t.to(d); }
  return RET(t);
  HT_CATCH
}
// toBuffer(t) -> ArrayBuffer (copy, contiguous, on CPU)
OP(toBuffer) {
  HT_TRY
  auto t = T(info[0]).detach().to(at::kCPU).contiguous();
  size_t n = static_cast<size_t>(t.numel()) * t.element_size();
  auto ab = Napi::ArrayBuffer::New(info.Env(), n);
  if (n) std::memcpy(ab.Data(), t.data_ptr(), n);
  return ab;
  HT_CATCH
}
OP(item) {
  HT_TRY
  auto& t = T(info[0]);
  if (t.numel() != 1) ThrowJs(info.Env(), "item() needs a tensor with one element, got " + std::to_string(t.numel()));
  auto s = t.item();
  if (s.isBoolean()) return Napi::Boolean::New(info.Env(), s.toBool());
  return Napi::Number::New(info.Env(), s.toDouble());
  HT_CATCH
}
OP(empty) BODY(RET(at::empty(IL(info[0]), Opts(info, 1))))
OP(zeros) BODY(RET(at::zeros(IL(info[0]), Opts(info, 1))))
OP(ones) BODY(RET(at::ones(IL(info[0]), Opts(info, 1))))
OP(full) BODY(RET(at::full(IL(info[0]), S(info[1]), Opts(info, 2))))
OP(arange) BODY(RET(at::arange(S(info[0]), S(info[1]), S(info[2]), Opts(info, 3))))
OP(linspace) BODY(RET(at::linspace(S(info[0]), S(info[1]), I(info[2]), Opts(info, 3))))
OP(eye) BODY(RET(at::eye(I(info[0]), Opts(info, 1))))
OP(zerosLike) BODY(RET(at::zeros_like(T(info[0]))))
OP(onesLike) BODY(RET(at::ones_like(T(info[0]))))
OP(fullLike) BODY(RET(at::full_like(T(info[0]), S(info[1]))))
// random: (shape, gen, dtype, device)
OP(randn) BODY(RET(at::randn(IL(info[0]), Gen(info[1]), Opts(info, 2))))
OP(rand) BODY(RET(at::rand(IL(info[0]), Gen(info[1]), Opts(info, 2))))
OP(randint) BODY(RET(at::randint(I(info[0]), I(info[1]), IL(info[2]), Gen(info[3]), Opts(info, 4).dtype(Has(info, 4) ? DT(info[4]) : at::kLong))))
OP(randperm) BODY(RET(at::randperm(I(info[0]), Gen(info[1]), at::TensorOptions().dtype(at::kLong))))
OP(normal_) { HT_TRY T(info[0]).normal_(D(info[1]), D(info[2]), Gen(info[3])); return info[0]; HT_CATCH }
OP(uniform_) { HT_TRY T(info[0]).uniform_(D(info[1]), D(info[2]), Gen(info[3])); return info[0]; HT_CATCH }
OP(bernoulli) BODY(RET(at::bernoulli(T(info[0]), Gen(info[1]))))
OP(bernoulliP) BODY(RET(at::bernoulli(T(info[0]), D(info[1]), Gen(info[2]))))
OP(multinomial) BODY(RET(at::multinomial(T(info[0]), I(info[1]), B(info[2]), Gen(info[3]))))

// ---- conversion -------------------------------------------------------------
// to(t, dtypeCode|null, device|null, copy)
OP(to) {
  HT_TRY
  auto& t = T(info[0]);
  auto dt = Has(info, 1) ? DT(info[1]) : t.scalar_type();
  auto dev = Has(info, 2) ? Dev(info[2]) : t.device();
  bool copy = Has(info, 3) && B(info[3]);
  return RET(t.to(dev, dt, /*non_blocking=*/false, copy));
  HT_CATCH
}
OP(clone) BODY(RET(T(info[0]).clone()))
OP(contiguous) BODY(RET(T(info[0]).contiguous()))
OP(detach) BODY(RET(T(info[0]).detach()))

// ---- autograd ---------------------------------------------------------------
OP(setRequiresGrad) { HT_TRY T(info[0]).requires_grad_(B(info[1])); return info[0]; HT_CATCH }
OP(grad) {
  HT_TRY
  auto g = T(info[0]).grad();
  if (!g.defined()) return info.Env().Null();
  return RET(g);
  HT_CATCH
}
OP(setGrad) {
  HT_TRY
  auto& t = T(info[0]);
  if (Has(info, 1)) t.mutable_grad() = T(info[1]); else t.mutable_grad().reset();
  return UNDEF;
  HT_CATCH
}
// backward(t, grad|null, retainGraph)
OP(backward) {
  HT_TRY
  auto& t = T(info[0]);
  at::Tensor g = Has(info, 1) ? T(info[1]) : at::Tensor();
  bool retain = Has(info, 2) && B(info[2]);
  t.backward(g, retain);
  return UNDEF;
  HT_CATCH
}
OP(setData) { HT_TRY T(info[0]).set_data(T(info[1])); return info[0]; HT_CATCH }
OP(retainGrad) { HT_TRY T(info[0]).retain_grad(); return UNDEF; HT_CATCH }

// ---- elementwise ------------------------------------------------------------
enum Unary { U_NEG, U_EXP, U_LOG, U_SQRT, U_RSQRT, U_TANH, U_SIGMOID, U_ABS, U_RELU, U_SILU, U_GELU, U_GELU_TANH,
             U_SIN, U_COS, U_FLOOR, U_CEIL, U_ROUND, U_SIGN, U_NOT, U_RECIP, U_SQUARE, U_ISNAN, U_ISINF, U_ERF,
             U_LOG1P, U_EXPM1, U_ISFINITE, U_ERFINV, U_TRUNC, U_LOG2 };
OP(unary) {
  HT_TRY
  auto& t = T(info[1]);
  at::Tensor r;
  switch (I(info[0])) {
    case U_NEG: r = at::neg(t); break;
    case U_EXP: r = at::exp(t); break;
    case U_LOG: r = at::log(t); break;
    case U_SQRT: r = at::sqrt(t); break;
    case U_RSQRT: r = at::rsqrt(t); break;
    case U_TANH: r = at::tanh(t); break;
    case U_SIGMOID: r = at::sigmoid(t); break;
    case U_ABS: r = at::abs(t); break;
    case U_RELU: r = at::relu(t); break;
    case U_SILU: r = at::silu(t); break;
    case U_GELU: r = at::gelu(t); break;
    case U_GELU_TANH: r = at::gelu(t, "tanh"); break;
    case U_SIN: r = at::sin(t); break;
    case U_COS: r = at::cos(t); break;
    case U_FLOOR: r = at::floor(t); break;
    case U_CEIL: r = at::ceil(t); break;
    case U_ROUND: r = at::round(t); break;
    case U_SIGN: r = at::sign(t); break;
    case U_NOT: r = at::logical_not(t); break;
    case U_RECIP: r = at::reciprocal(t); break;
    case U_SQUARE: r = at::square(t); break;
    case U_ISNAN: r = at::isnan(t); break;
    case U_ISINF: r = at::isinf(t); break;
    case U_ERF: r = at::erf(t); break;
    case U_LOG1P: r = at::log1p(t); break;
    case U_EXPM1: r = at::expm1(t); break;
    case U_ISFINITE: r = at::isfinite(t); break;
    case U_ERFINV: r = at::erfinv(t); break;
    case U_TRUNC: r = at::trunc(t); break;
    case U_LOG2: r = at::log2(t); break;
    default: ThrowJs(info.Env(), "unknown unary op");
  }
  return RET(r);
  HT_CATCH
}
enum Binary { B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_EQ, B_NE, B_LT, B_LE, B_GT, B_GE, B_MAX, B_MIN, B_AND, B_OR,
              B_MATMUL, B_BMM, B_MM, B_REM, B_FLOORDIV, B_XOR, B_ATAN2 };
static at::Tensor BinaryTT(int64_t op, const at::Tensor& a, const at::Tensor& b, Napi::Env env) {
  switch (op) {
    case B_ADD: return at::add(a, b);
    case B_SUB: return at::sub(a, b);
    case B_MUL: return at::mul(a, b);
    case B_DIV: return at::div(a, b);
    case B_POW: return at::pow(a, b);
    case B_EQ: return at::eq(a, b);
    case B_NE: return at::ne(a, b);
    case B_LT: return at::lt(a, b);
    case B_LE: return at::le(a, b);
    case B_GT: return at::gt(a, b);
    case B_GE: return at::ge(a, b);
    case B_MAX: return at::maximum(a, b);
    case B_MIN: return at::minimum(a, b);
    case B_AND: return at::logical_and(a, b);
    case B_OR: return at::logical_or(a, b);
    case B_MATMUL: return at::matmul(a, b);
    case B_BMM: return at::bmm(a, b);
    case B_MM: return at::mm(a, b);
    case B_REM: return at::remainder(a, b);
    case B_FLOORDIV: return at::div(a, b, "floor");
    case B_XOR: return at::logical_xor(a, b);
    case B_ATAN2: return at::atan2(a, b);
  }
  ThrowJs(env, "unknown binary op");
}
OP(binary) BODY(RET(BinaryTT(I(info[0]), T(info[1]), T(info[2]), info.Env())))
// binaryScalar(op, t, s, reversed)
OP(binaryScalar) {
  HT_TRY
  auto op = I(info[0]);
  auto& t = T(info[1]);
  auto s = S(info[2]);
  bool rev = Has(info, 3) && B(info[3]);
  at::Tensor r;
  switch (op) {
    case B_ADD: r = at::add(t, s); break;
    case B_SUB: r = rev ? at::rsub(t, s) : at::sub(t, s); break;
    case B_MUL: r = at::mul(t, s); break;
    case B_DIV: r = rev ? at::mul(at::reciprocal(t), s) : at::div(t, s); break;
    case B_POW: r = rev ? at::pow(s, t) : at::pow(t, s); break;
    case B_EQ: r = at::eq(t, s); break;
    case B_NE: r = at::ne(t, s); break;
    case B_LT: r = at::lt(t, s); break;
    case B_LE: r = at::le(t, s); break;
    case B_GT: r = at::gt(t, s); break;
    case B_GE: r = at::ge(t, s); break;
    case B_REM: r = at::remainder(t, s); break;
    case B_FLOORDIV: r = at::div(t, at::scalar_tensor(s, t.options()), "floor"); break;
    case B_MAX: r = at::clamp_min(t, s); break;
    case B_MIN: r = at::clamp_max(t, s); break;
    default: ThrowJs(info.Env(), "op has no scalar form");
  }
  return RET(r);
  HT_CATCH
}
// add with alpha: addAlpha(a, b, alpha) = a + alpha*b
OP(addAlpha) BODY(RET(at::add(T(info[0]), T(info[1]), S(info[2]))))
// in-place: inplace(op, t, other(tensor|number), alpha)
OP(inplace) {
  HT_TRY
  auto op = I(info[0]);
  auto& t = T(info[1]);
  bool scalar = info[2].IsNumber() || info[2].IsBoolean();
  switch (op) {
    case B_ADD: if (scalar) t.add_(S(info[2])); else t.add_(T(info[2]), Has(info, 3) ? S(info[3]) : at::Scalar(1)); break;
    case B_SUB: if (scalar) t.sub_(S(info[2])); else t.sub_(T(info[2]), Has(info, 3) ? S(info[3]) : at::Scalar(1)); break;
    case B_MUL: if (scalar) t.mul_(S(info[2])); else t.mul_(T(info[2])); break;
    case B_DIV: if (scalar) t.div_(S(info[2])); else t.div_(T(info[2])); break;
    case B_POW: if (scalar) t.pow_(S(info[2])); else t.pow_(T(info[2])); break;
    case B_MAX: if (scalar) t.clamp_min_(S(info[2])); else t.copy_(at::maximum(t, T(info[2]))); break;
    case B_MIN: if (scalar) t.clamp_max_(S(info[2])); else t.copy_(at::minimum(t, T(info[2]))); break;
    default: ThrowJs(info.Env(), "op has no in-place form");
  }
  return info[1];
  HT_CATCH
}
OP(copy_) { HT_TRY T(info[0]).copy_(T(info[1])); return info[0]; HT_CATCH }
OP(fill_) { HT_TRY T(info[0]).fill_(S(info[1])); return info[0]; HT_CATCH }
OP(zero_) { HT_TRY T(info[0]).zero_(); return info[0]; HT_CATCH }
OP(addcmul_) { HT_TRY T(info[0]).addcmul_(T(info[1]), T(info[2]), S(info[3])); return info[0]; HT_CATCH }
OP(addcdiv_) { HT_TRY T(info[0]).addcdiv_(T(info[1]), T(info[2]), S(info[3])); return info[0]; HT_CATCH }
OP(lerp_) { HT_TRY T(info[0]).lerp_(T(info[1]), S(info[2])); return info[0]; HT_CATCH }
OP(sqrt_) { HT_TRY T(info[0]).sqrt_(); return info[0]; HT_CATCH }
OP(erfinv_) { HT_TRY T(info[0]).erfinv_(); return info[0]; HT_CATCH }
OP(clamp_) {
  HT_TRY
  auto& t = T(info[0]);
  c10::optional<at::Scalar> lo, hi;
  if (Has(info, 1)) lo = S(info[1]);
  if (Has(info, 2)) hi = S(info[2]);
  t.clamp_(lo, hi);
  return info[0];
  HT_CATCH
}
OP(clamp) {
  HT_TRY
  c10::optional<at::Scalar> lo, hi;
  if (Has(info, 1)) lo = S(info[1]);
  if (Has(info, 2)) hi = S(info[2]);
  return RET(at::clamp(T(info[0]), lo, hi));
  HT_CATCH
}
OP(where) BODY(RET(at::where(T(info[0]), T(info[1]), T(info[2]))))
OP(whereScalar) BODY(RET(at::where(T(info[0]), T(info[1]), at::scalar_tensor(S(info[2]), T(info[1]).options()))))
OP(maskedFill) {
  HT_TRY
  if (info[2].IsObject()) return RET(at::masked_fill(T(info[0]), T(info[1]), T(info[2])));
  return RET(at::masked_fill(T(info[0]), T(info[1]), S(info[2])));
  HT_CATCH
}
OP(maskedFill_) { HT_TRY T(info[0]).masked_fill_(T(info[1]), S(info[2])); return info[0]; HT_CATCH }
OP(equal) BODY(Napi::Boolean::New(info.Env(), at::equal(T(info[0]), T(info[1]))))
OP(allclose) BODY(Napi::Boolean::New(info.Env(), at::allclose(T(info[0]), T(info[1]), D(info[2]), D(info[3]))))

// ---- reductions -------------------------------------------------------------
// sum(t, dims|null, keepdim, dtype|null)
OP(sum) {
  HT_TRY
  auto& t = T(info[0]);
  if (!Has(info, 1)) return RET(at::sum(t, OptDT(info, 3)));
  return RET(at::sum(t, IL(info[1]), Has(info, 2) && B(info[2]), OptDT(info, 3)));
  HT_CATCH
}
OP(mean) {
  HT_TRY
  auto& t = T(info[0]);
  if (!Has(info, 1)) return RET(at::mean(t));
  return RET(at::mean(t, IL(info[1]), Has(info, 2) && B(info[2])));
  HT_CATCH
}
OP(prod) BODY(RET(Has(info, 1) ? at::prod(T(info[0]), I(info[1]), Has(info, 2) && B(info[2])) : at::prod(T(info[0]))))
// var/std(t, dims|null, correction, keepdim)
OP(var) {
  HT_TRY
  auto& t = T(info[0]);
  int64_t corr = Has(info, 2) ? I(info[2]) : 1;
  bool keep = Has(info, 3) && B(info[3]);
  if (!Has(info, 1)) return RET(at::var(t, c10::nullopt, corr, keep));
  return RET(at::var(t, at::OptionalIntArrayRef(IL(info[1])), corr, keep));
  HT_CATCH
}
OP(stdev) {
  HT_TRY
  auto& t = T(info[0]);
  int64_t corr = Has(info, 2) ? I(info[2]) : 1;
  bool keep = Has(info, 3) && B(info[3]);
  if (!Has(info, 1)) return RET(at::std(t, c10::nullopt, corr, keep));
  return RET(at::std(t, at::OptionalIntArrayRef(IL(info[1])), corr, keep));
  HT_CATCH
}
// max/min(t, dim|null, keepdim) -> tensor | [values, indices]
OP(max) {
  HT_TRY
  if (!Has(info, 1)) return RET(at::max(T(info[0])));
  auto r = at::max(T(info[0]), I(info[1]), Has(info, 2) && B(info[2]));
  return ToArray(info.Env(), {std::get<0>(r), std::get<1>(r)});
  HT_CATCH
}
OP(min) {
  HT_TRY
  if (!Has(info, 1)) return RET(at::min(T(info[0])));
  auto r = at::min(T(info[0]), I(info[1]), Has(info, 2) && B(info[2]));
  return ToArray(info.Env(), {std::get<0>(r), std::get<1>(r)});
  HT_CATCH
}
OP(argmax) BODY(RET(Has(info, 1) ? at::argmax(T(info[0]), I(info[1]), Has(info, 2) && B(info[2])) : at::argmax(T(info[0]))))
OP(argmin) BODY(RET(Has(info, 1) ? at::argmin(T(info[0]), I(info[1]), Has(info, 2) && B(info[2])) : at::argmin(T(info[0]))))
OP(topk) {
  HT_TRY
  auto r = at::topk(T(info[0]), I(info[1]), Has(info, 2) ? I(info[2]) : -1, !Has(info, 3) || B(info[3]), !Has(info, 4) || B(info[4]));
  return ToArray(info.Env(), {std::get<0>(r), std::get<1>(r)});
  HT_CATCH
}
OP(sort) {
  HT_TRY
  auto r = at::sort(T(info[0]), Has(info, 1) ? I(info[1]) : -1, Has(info, 2) && B(info[2]));
  return ToArray(info.Env(), {std::get<0>(r), std::get<1>(r)});
  HT_CATCH
}
OP(softmax) BODY(RET(at::softmax(T(info[0]), I(info[1]), OptDT(info, 2))))
OP(logSoftmax) BODY(RET(at::log_softmax(T(info[0]), I(info[1]), OptDT(info, 2))))
OP(logsumexp) BODY(RET(at::logsumexp(T(info[0]), IL(info[1]), Has(info, 2) && B(info[2]))))
OP(cumsum) BODY(RET(at::cumsum(T(info[0]), I(info[1]), OptDT(info, 2))))
// norm(t, p, dims|null, keepdim)
OP(norm) {
  HT_TRY
  auto& t = T(info[0]);
  at::Scalar p = Has(info, 1) ? S(info[1]) : at::Scalar(2.0);
  if (!Has(info, 2)) return RET(at::norm(t, p));
  return RET(at::norm(t, p, IL(info[2]), Has(info, 3) && B(info[3])));
  HT_CATCH
}
OP(all) BODY(RET(Has(info, 1) ? at::all(T(info[0]), I(info[1]), Has(info, 2) && B(info[2])) : at::all(T(info[0]))))
OP(any) BODY(RET(Has(info, 1) ? at::any(T(info[0]), I(info[1]), Has(info, 2) && B(info[2])) : at::any(T(info[0]))))

// ---- shapes and indexing ----------------------------------------------------
OP(reshape) BODY(RET(at::reshape(T(info[0]), IL(info[1]))))
OP(view) BODY(RET(T(info[0]).view(IL(info[1]))))
OP(permute) BODY(RET(T(info[0]).permute(IL(info[1]))))
OP(transpose) BODY(RET(at::transpose(T(info[0]), I(info[1]), I(info[2]))))
OP(expand) BODY(RET(T(info[0]).expand(IL(info[1]))))
OP(squeeze) BODY(RET(Has(info, 1) ? at::squeeze(T(info[0]), I(info[1])) : at::squeeze(T(info[0]))))
OP(unsqueeze) BODY(RET(at::unsqueeze(T(info[0]), I(info[1]))))
OP(flatten) BODY(RET(at::flatten(T(info[0]), Has(info, 1) ? I(info[1]) : 0, Has(info, 2) ? I(info[2]) : -1)))
// slice(t, dim, start|null, end|null, step)
OP(slice) {
  HT_TRY
  c10::optional<int64_t> s, e;
  if (Has(info, 2)) s = I(info[2]);
  if (Has(info, 3)) e = I(info[3]);
  return RET(at::slice(T(info[0]), I(info[1]), s, e, Has(info, 4) ? I(info[4]) : 1));
  HT_CATCH
}
OP(select) BODY(RET(at::select(T(info[0]), I(info[1]), I(info[2]))))
OP(narrow) BODY(RET(at::narrow(T(info[0]), I(info[1]), I(info[2]), I(info[3]))))
OP(indexSelect) BODY(RET(at::index_select(T(info[0]), I(info[1]), T(info[2]))))
OP(gather) BODY(RET(at::gather(T(info[0]), I(info[1]), T(info[2]))))
OP(scatter) BODY(RET(at::scatter(T(info[0]), I(info[1]), T(info[2]), T(info[3]))))
OP(scatterAdd) BODY(RET(at::scatter_add(T(info[0]), I(info[1]), T(info[2]), T(info[3]))))
// index(t, [tensor|null...])
static c10::List<c10::optional<at::Tensor>> IndexList(const Napi::Value& v) {
  auto arr = v.As<Napi::Array>();
  c10::List<c10::optional<at::Tensor>> out;
  for (uint32_t i = 0; i < arr.Length(); i++) out.push_back(OptT(arr.Get(i)));
  return out;
}
OP(index) BODY(RET(at::index(T(info[0]), IndexList(info[1]))))
OP(indexPut_) { HT_TRY T(info[0]).index_put_(IndexList(info[1]), T(info[2]), Has(info, 3) && B(info[3])); return info[0]; HT_CATCH }
OP(cat) BODY(RET(at::cat(TList(info[0]), Has(info, 1) ? I(info[1]) : 0)))
OP(stack) BODY(RET(at::stack(TList(info[0]), Has(info, 1) ? I(info[1]) : 0)))
OP(split) {
  HT_TRY
  auto& t = T(info[0]);
  int64_t dim = Has(info, 2) ? I(info[2]) : 0;
  if (info[1].IsNumber()) return ToArray(info.Env(), at::split(t, I(info[1]), dim));
  return ToArray(info.Env(), at::split_with_sizes(t, IL(info[1]), dim));
  HT_CATCH
}
OP(chunk) BODY(ToArray(info.Env(), at::chunk(T(info[0]), I(info[1]), Has(info, 2) ? I(info[2]) : 0)))
OP(repeat) BODY(RET(T(info[0]).repeat(IL(info[1]))))
OP(flip) BODY(RET(at::flip(T(info[0]), IL(info[1]))))
OP(tril) BODY(RET(at::tril(T(info[0]), Has(info, 1) ? I(info[1]) : 0)))
OP(triu) BODY(RET(at::triu(T(info[0]), Has(info, 1) ? I(info[1]) : 0)))
OP(oneHot) BODY(RET(at::one_hot(T(info[0]), Has(info, 1) ? I(info[1]) : -1)))
OP(nonzero) BODY(RET(at::nonzero(T(info[0]))))
OP(maskedSelect) BODY(RET(at::masked_select(T(info[0]), T(info[1]))))

// ---- neural-network functions -------------------------------------------------
OP(linear) BODY(RET(Linear(T(info[0]), T(info[1]), OptT(info[2]))))
// conv2d(x, w, b|null, stride[], padding[], dilation[], groups)
OP(conv2d) BODY(RET(at::conv2d(T(info[0]), T(info[1]), OptT(info[2]), IL(info[3]), IL(info[4]), IL(info[5]), I(info[6]))))
// embedding(weight, indices, paddingIdx)
OP(embedding) BODY(RET(at::embedding(T(info[0]), T(info[1]), Has(info, 2) ? I(info[2]) : -1)))
// layerNorm(x, normalizedShape, w|null, b|null, eps)
OP(layerNorm) BODY(RET(at::layer_norm(T(info[0]), IL(info[1]), OptT(info[2]), OptT(info[3]), D(info[4]))))
OP(dropout) BODY(RET(at::dropout(T(info[0]), D(info[1]), B(info[2]))))
OP(avgPool2d) BODY(RET(at::avg_pool2d(T(info[0]), IL(info[1]), IL(info[2]))))
OP(adaptiveAvgPool2d) BODY(RET(at::adaptive_avg_pool2d(T(info[0]), IL(info[1]))))
OP(maxPool2d) BODY(RET(at::max_pool2d(T(info[0]), IL(info[1]), IL(info[2]))))
// sdpa(q, k, v, mask|null, dropoutP, isCausal): the fused kernel when libtorch has one.
OP(sdpa) {
  HT_TRY
  auto& q = T(info[0]);
  auto& k = T(info[1]);
  auto& v = T(info[2]);
  auto mask = OptT(info[3]);
  double p = Has(info, 4) ? D(info[4]) : 0.0;
  bool causal = Has(info, 5) && B(info[5]);
#if TORCH_VERSION_MAJOR < 2
  // 1.13 composes attention from matmuls on OpenBLAS; in float32 the same steps run on oneDNN's sgemm
  if (auto r = Float32Attention(q, k, v, mask, p, causal)) return RET(*r);
#endif
#if TORCH_VERSION_MAJOR >= 2
  return RET(at::scaled_dot_product_attention(q, k, v, mask, p, causal));
#else
  auto r = at::_scaled_dot_product_attention(q, k, v, mask, p, /*need_attn_weights=*/false, causal);
  return RET(std::get<0>(r));
#endif
  HT_CATCH
}
// rmsNorm(h, weight, eps, castToWeight): LlamaRMSNorm's steps (4.29) in one call, the same ATen ops in
// the same order (so the same numbers, autograd and autocast): a decoding step makes 61 of them.
OP(rmsNorm) {
  HT_TRY
  auto& h = T(info[0]);
  auto& w = T(info[1]);
  at::Tensor variance = at::mean(at::pow(h.to(at::kFloat), at::Scalar(2.0)), {-1}, true);
  at::Tensor x = at::mul(h, at::rsqrt(at::add(variance, at::Scalar(D(info[2])))));
  if (B(info[3])) x = x.to(w.scalar_type());
  return RET(at::mul(w, x));
  HT_CATCH
}
// rotary(x, cos, sin) = x·cos + rotate_half(x)·sin, rotate_half(x) = [-x2, x1] (apply_rotary_pos_emb's steps)
OP(rotary) {
  HT_TRY
  auto& x = T(info[0]);
  const int64_t half = x.size(-1) / 2;
  at::Tensor rot = at::cat({at::neg(at::narrow(x, -1, half, half)), at::narrow(x, -1, 0, half)}, -1);
  return RET(at::add(at::mul(x, T(info[1])), at::mul(rot, T(info[2]))));
  HT_CATCH
}
// splitHeads(x [B, L, H·D], H) -> [B, H, L, D]; mergeHeads(x [B, H, L, D]) -> [B, L, H·D] (transformers'
// view/transpose pairs, one call each); repeatKv(x [B, KV, L, D], rep) -> [B, KV·rep, L, D] (repeat_kv).
static std::string ShapeText(const at::Tensor& x) {
  std::string s = "[";
  for (int64_t i = 0; i < x.dim(); i++) s += (i ? ", " : "") + std::to_string(x.size(i));
  return s + "]";
}
static void NeedHeads(const Napi::CallbackInfo& info, const char* fn, const at::Tensor& x) {
  if (x.dim() != 4) ThrowJs(info.Env(), std::string(fn) + ": expected [batch, heads, length, headDim], got " + ShapeText(x));
}
OP(splitHeads) {
  HT_TRY
  auto& x = T(info[0]);
  const int64_t h = I(info[1]);
  if (x.dim() != 3 || h <= 0 || x.size(2) % h != 0) {
    ThrowJs(info.Env(), "splitHeads: expected [batch, length, " + std::to_string(h) + "·headDim], got " + ShapeText(x));
  }
  return RET(x.view({x.size(0), x.size(1), h, x.size(2) / h}).transpose(1, 2));
  HT_CATCH
}
OP(mergeHeads) {
  HT_TRY
  auto& x = T(info[0]);
  NeedHeads(info, "mergeHeads", x);
  return RET(x.transpose(1, 2).reshape({x.size(0), x.size(2), x.size(1) * x.size(3)}));
  HT_CATCH
}
OP(repeatKv) {
  HT_TRY
  auto& x = T(info[0]);
  NeedHeads(info, "repeatKv", x);
  const int64_t rep = I(info[1]);
  const int64_t b = x.size(0), kv = x.size(1), l = x.size(2), d = x.size(3);
  return RET(x.unsqueeze(2).expand({b, kv, rep, l, d}).reshape({b, kv * rep, l, d}));
  HT_CATCH
}
// composedAttention(q, k, v, mask|null, dropoutP): softmax(q·kᵀ / √d + mask)·v in the steps (and ATen
// ops) of functional.ts's composed path, in one call: a bf16 decoding step takes it once per layer.
OP(composedAttention) {
  HT_TRY
  auto& q = T(info[0]);
  auto mask = OptT(info[3]);
  double p = D(info[4]);
  at::Tensor scores = at::div(at::matmul(q, T(info[1]).transpose(-1, -2)), at::Scalar(std::sqrt(static_cast<double>(q.size(-1)))));
  if (mask) scores = at::add(scores, *mask);
  at::Tensor probs = at::softmax(scores, -1, c10::nullopt);
  if (p > 0) probs = at::dropout(probs, p, true);
  return RET(at::matmul(probs, T(info[2])));
  HT_CATCH
}
OP(hasFusedSdpa) {
  return Napi::Boolean::New(info.Env(), true);
}
// crossEntropy(logits[N,C], target[N], weight|null, reduction(0 none,1 mean,2 sum), ignoreIndex, labelSmoothing)
OP(crossEntropy) BODY(RET(at::cross_entropy_loss(T(info[0]), T(info[1]), OptT(info[2]), I(info[3]), I(info[4]), D(info[5]))))
OP(nllLoss) BODY(RET(at::nll_loss(T(info[0]), T(info[1]), OptT(info[2]), I(info[3]), I(info[4]))))
// bceWithLogits(x, y, weight|null, posWeight|null, reduction)
OP(bceWithLogits) BODY(RET(at::binary_cross_entropy_with_logits(T(info[0]), T(info[1]), OptT(info[2]), OptT(info[3]), I(info[4]))))
OP(mseLoss) BODY(RET(at::mse_loss(T(info[0]), T(info[1]), I(info[2]))))

#define REG(n) HT_EXPORT(exports, #n, n)
#define REG2(js, n) HT_EXPORT(exports, js, n)
}  // namespace

void RegisterOps(Napi::Env env, Napi::Object exports) {
  REG(shape); REG(strides); REG(dtype); REG(device); REG(numel); REG(isContiguous); REG(requiresGrad); REG(isLeaf);
  REG(sameStorage); REG(gradFn);
  REG(fromBuffer); REG(toBuffer); REG(item); REG(empty); REG(zeros); REG(ones); REG(full); REG(arange); REG(linspace);
  REG(eye); REG(zerosLike); REG(onesLike); REG(fullLike); REG(randn); REG(rand); REG(randint); REG(randperm);
  REG(normal_); REG(uniform_); REG(bernoulli); REG(bernoulliP); REG(multinomial);
  REG(to); REG(clone); REG(contiguous); REG(detach);
  REG(setRequiresGrad); REG(grad); REG(setGrad); REG(backward); REG(retainGrad); REG(setData);
  REG(unary); REG(binary); REG(binaryScalar); REG(addAlpha); REG(inplace); REG(copy_); REG(fill_); REG(zero_);
  REG(addcmul_); REG(addcdiv_); REG(lerp_); REG(sqrt_); REG(erfinv_); REG(clamp_); REG(clamp); REG(where); REG(whereScalar);
  REG(maskedFill); REG(maskedFill_); REG(equal); REG(allclose);
  REG(sum); REG(mean); REG(prod); REG(var); REG2("std", stdev); REG(max); REG(min); REG(argmax); REG(argmin); REG(topk);
  REG(sort); REG(softmax); REG(logSoftmax); REG(logsumexp); REG(cumsum); REG(norm); REG(all); REG(any);
  REG(reshape); REG(view); REG(permute); REG(transpose); REG(expand); REG(squeeze); REG(unsqueeze); REG(flatten);
  REG(slice); REG(select); REG(narrow); REG(indexSelect); REG(gather); REG(scatter); REG(scatterAdd); REG(index);
  REG(indexPut_); REG(cat); REG(stack); REG(split); REG(chunk); REG(repeat); REG(flip); REG(tril); REG(triu);
  REG(oneHot); REG(nonzero); REG(maskedSelect);
  REG(linear); REG(conv2d); REG(embedding); REG(layerNorm); REG(dropout); REG(avgPool2d); REG(adaptiveAvgPool2d);
  REG(maxPool2d); REG(sdpa); REG(hasFusedSdpa); REG(rmsNorm); REG(rotary); REG(composedAttention); REG(splitHeads); REG(mergeHeads); REG(repeatKv); REG(crossEntropy); REG(nllLoss); REG(bceWithLogits); REG(mseLoss);
}

}  // namespace hubtune
