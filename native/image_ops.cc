// hubtune_image: the 8-bit passes of Pillow's convolution resize (libImaging's Resample.c:
// 22-bit fixed-point taps, int32 sums started at 1/2, shifted and clipped to 0..255) and the
// rescale + normalise lookup into CHW float32, for the image processors and the worker pool.
// A small addon of its own (no libtorch), so worker threads load it in milliseconds. The taps are
// computed by the TypeScript port (src/preprocessing/pil/resample.ts), which stays the reference:
// with the same taps and integer arithmetic, the output is the same bytes.
#include <napi.h>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#ifdef HUBTUNE_JPEG
void RegisterJpeg(Napi::Env env, Napi::Object exports);  // image_jpeg.cc
#endif

namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;
constexpr int32_t kHalf = 1 << (kPrecisionBits - 1);

// sums in uint32 wrap like the port's `(s + Math.imul(p, w)) | 0` (Pillow's taps leave headroom)
inline uint8_t Clip8(uint32_t us) {
  int32_t v = static_cast<int32_t>(us) >> kPrecisionBits;
  return v < 0 ? 0 : v > 255 ? 255 : static_cast<uint8_t>(v);
}

struct Taps {
  const int32_t* k;
  const int32_t* bounds;
  int ksize;
  int out;
};

// horizontal pass: rows [yOffset, yOffset + rows) of src (inW x C) -> out (outW x rows x C)
template <int C>
void Horizontal(const uint8_t* src, int inW, int yOffset, int rows, const Taps& t, uint8_t* out) {
  const size_t inStride = static_cast<size_t>(inW) * C;
  for (int yy = 0; yy < rows; yy++) {
    const uint8_t* row = src + static_cast<size_t>(yy + yOffset) * inStride;
    uint8_t* o = out + static_cast<size_t>(yy) * t.out * C;
    for (int xx = 0; xx < t.out; xx++) {
      const int xmin = t.bounds[xx * 2], xmax = t.bounds[xx * 2 + 1];
      const int32_t* k = t.k + static_cast<size_t>(xx) * t.ksize;
      const uint8_t* p = row + static_cast<size_t>(xmin) * C;
      uint32_t s[C];
      for (int c = 0; c < C; c++) s[c] = kHalf;
      for (int x = 0; x < xmax; x++, p += C) {
        const uint32_t w = static_cast<uint32_t>(k[x]);
        for (int c = 0; c < C; c++) s[c] += static_cast<uint32_t>(p[c]) * w;
      }
      for (int c = 0; c < C; c++) *o++ = Clip8(s[c]);
    }
  }
}

void HorizontalAny(int C, const uint8_t* src, int inW, int yOffset, int rows, const Taps& t, uint8_t* out) {
  switch (C) {
    case 1: return Horizontal<1>(src, inW, yOffset, rows, t, out);
    case 2: return Horizontal<2>(src, inW, yOffset, rows, t, out);
    case 3: return Horizontal<3>(src, inW, yOffset, rows, t, out);
    case 4: return Horizontal<4>(src, inW, yOffset, rows, t, out);
  }
}

// vertical pass: src (W x inRows x C) -> out (W x t.out x C); integer sums, so row-wise
// accumulation gives PIL's per-pixel results exactly
void Vertical(const uint8_t* src, size_t stride, const Taps& t, uint8_t* out) {
  std::vector<uint32_t> acc(stride);
  for (int yy = 0; yy < t.out; yy++) {
    const int ymin = t.bounds[yy * 2], ymax = t.bounds[yy * 2 + 1];
    const int32_t* k = t.k + static_cast<size_t>(yy) * t.ksize;
    uint32_t* a = acc.data();
    for (size_t i = 0; i < stride; i++) a[i] = kHalf;
    for (int y = 0; y < ymax; y++) {
      const uint32_t w = static_cast<uint32_t>(k[y]);
      const uint8_t* r = src + static_cast<size_t>(ymin + y) * stride;
      for (size_t i = 0; i < stride; i++) a[i] += static_cast<uint32_t>(r[i]) * w;
    }
    uint8_t* o = out + static_cast<size_t>(yy) * stride;
    for (size_t i = 0; i < stride; i++) o[i] = Clip8(a[i]);
  }
}

[[noreturn]] void Fail(Napi::Env env, const std::string& msg) { throw Napi::Error::New(env, msg); }

template <typename A>
A Arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsTypedArray()) Fail(info.Env(), std::string("hubtune_image: ") + what + " must be a typed array");
  return info[i].As<A>();
}

int Int(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int32Value(); }

Taps TapsOf(const Napi::CallbackInfo& info, size_t i, int outSize, const char* what) {
  auto k = Arg<Napi::Int32Array>(info, i, what);
  auto b = Arg<Napi::Int32Array>(info, i + 1, what);
  const int ksize = Int(info, i + 2);
  if (ksize < 1 || b.ElementLength() != static_cast<size_t>(outSize) * 2 || k.ElementLength() != static_cast<size_t>(outSize) * ksize) {
    Fail(info.Env(), std::string("hubtune_image: ") + what + " taps do not match the output size");
  }
  return Taps{k.Data(), b.Data(), ksize, outSize};
}

// resample8(src Uint8Array, inW, inH, C, outW, outH,
//           hk Int32Array|null, hbounds|null, hksize, yFirst, rows,   (null: no horizontal pass)
//           vk Int32Array|null, vbounds|null, vksize)                 (null: no vertical pass)
//   -> Uint8Array (outW x outH x C)
Napi::Value Resample8(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto src = Arg<Napi::Uint8Array>(info, 0, "src");
  const int inW = Int(info, 1), inH = Int(info, 2), C = Int(info, 3), outW = Int(info, 4), outH = Int(info, 5);
  if (C < 1 || C > 4) Fail(env, "hubtune_image: 1 to 4 channels");
  if (inW < 1 || inH < 1 || outW < 1 || outH < 1 || src.ElementLength() < static_cast<size_t>(inW) * inH * C) Fail(env, "hubtune_image: the source is smaller than its size says");
  const bool h = info[6].IsTypedArray(), v = info[11].IsTypedArray();
  const uint8_t* cur = src.Data();
  int curW = inW;
  int curRows = inH;
  std::vector<uint8_t> mid;
  if (h) {
    Taps t = TapsOf(info, 6, outW, "horizontal");
    const int yFirst = Int(info, 9), rows = Int(info, 10);
    if (yFirst < 0 || rows < 0 || yFirst + rows > inH) Fail(env, "hubtune_image: rows outside the image");
    for (int i = 0; i < outW; i++) if (t.bounds[2 * i] < 0 || t.bounds[2 * i] + t.bounds[2 * i + 1] > inW || t.bounds[2 * i + 1] > t.ksize) Fail(env, "hubtune_image: horizontal taps outside the image");
    mid.resize(static_cast<size_t>(outW) * rows * C);
    HorizontalAny(C, cur, inW, yFirst, rows, t, mid.data());
    cur = mid.data();
    curW = outW;
    curRows = rows;
  }
  const int finalH = v ? outH : curRows;
  auto out = Napi::Uint8Array::New(env, static_cast<size_t>(curW) * finalH * C);
  if (v) {
    Taps t = TapsOf(info, 11, outH, "vertical");
    for (int i = 0; i < outH; i++) if (t.bounds[2 * i] < 0 || t.bounds[2 * i] + t.bounds[2 * i + 1] > curRows || t.bounds[2 * i + 1] > t.ksize) Fail(env, "hubtune_image: vertical taps outside the image");
    Vertical(cur, static_cast<size_t>(curW) * C, t, out.Data());
  } else {
    std::memcpy(out.Data(), cur, out.ElementLength());
  }
  return out;
}

// toCHW(rgb Uint8Array (H x W x 3), H, W, lut Float32Array (3 x 256), out Float32Array, outOffset)
// out[c][i] = lut[c][rgb[i][c]]: the rescale + normalise of every value, looked up per channel
Napi::Value ToCHW(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto rgb = Arg<Napi::Uint8Array>(info, 0, "rgb");
  const int H = Int(info, 1), W = Int(info, 2);
  auto lut = Arg<Napi::Float32Array>(info, 3, "lut");
  auto out = Arg<Napi::Float32Array>(info, 4, "out");
  const size_t off = static_cast<size_t>(info[5].As<Napi::Number>().Int64Value());
  const size_t plane = static_cast<size_t>(H) * W;
  if (rgb.ElementLength() < plane * 3 || lut.ElementLength() != 768 || out.ElementLength() < off + plane * 3) Fail(env, "hubtune_image: toCHW sizes do not match");
  const uint8_t* p = rgb.Data();
  const float* l = lut.Data();
  float* o0 = out.Data() + off;
  float* o1 = o0 + plane;
  float* o2 = o1 + plane;
  for (size_t i = 0; i < plane; i++, p += 3) {
    o0[i] = l[p[0]];
    o1[i] = l[256 + p[1]];
    o2[i] = l[512 + p[2]];
  }
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
#ifdef HUBTUNE_JPEG
  RegisterJpeg(env, exports);
#endif
  exports.Set("resample8", Napi::Function::New(env, Resample8));
  exports.Set("toCHW", Napi::Function::New(env, ToCHW));
  return exports;
}

}  // namespace

NODE_API_MODULE(hubtune_image, Init)
