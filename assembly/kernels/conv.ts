// 3x3 convolution, stride 1, zero padding "same", as a dense layer over patches
// (docs/model-format.md, "Convolutional nets"). Channels-last layouts: images uint8
// [batch][h][w][c]; the patch of output pixel (b, y, x) is the 3x3 window around it, uint8
// [ky][kx][c] with 0 outside the image, so the patch matrix [batch·h·w][9·c] is a dense
// layer's input and conv weights int16 [ky][kx][cin][cout] are its 9·cin rows of cout: the
// forward, the error backprop and the weight gradient are dense.ts's and update.ts's kernels.
// Every offset is a running pointer; the strides come from `product` (shift-and-add).
import { product } from "../arith";

/**
 * `back` false: the patches of `batch` images img [h][w][c] (uint8) into p [h·w][9·c].
 * `back` true: the reverse sum for the error backprop, int32: every patch value p [h·w][9·c]
 * is added to the image value it was read from (those read from outside go nowhere).
 * Only the output rows y0 <= y < y1 (their patch rows, w per image row): a band of one image
 * (batch 1; the backprop's patch errors one row at a time), or 0 and h.
 */
export function patches(img: usize, h: i32, w: i32, c: i32, batch: i32, p: usize, back: bool, y0: i32, y1: i32): void {
  let size: usize = back ? 2 : 0; // log2 of the element's bytes
  let pixel = <usize>c << size;
  let line = <usize>product(w, c) << size;
  let centre = img + <usize>product(y0, <i32>line);
  for (let b = 0; b < batch; b++) {
    for (let y = y0; y < y1; y++) {
      for (let x = 0; x < w; x++) {
        let row = centre - line - pixel; // the window's top-left value
        for (let ky = -1; ky <= 1; ky++) {
          let src = row;
          for (let kx = -1; kx <= 1; kx++) {
            let end = p + pixel;
            if (<u32>(y + ky) < <u32>h && <u32>(x + kx) < <u32>w) {
              if (back) {
                for (let q = src; p < end; p += 4, q += 4) store<i32>(q, load<i32>(q) + load<i32>(p));
              } else {
                for (let q = src; p < end; p++, q++) store<u8>(p, load<u8>(q));
              }
            } else if (back) p = end;
            else for (; p < end; p++) store<u8>(p, 0);
            src += pixel;
          }
          row += line;
        }
        centre += pixel;
      }
    }
  }
}
