/* Test helper: turns a photo (JPEG, PNG or PGM/PPM) into a raw 150x150 RGB chip for the
 * reference comparisons, because Node has no image decoder and tfjs-node is not available here.
 * It is compiled on the fly by tests/convert/dlib_resnet.test.mjs (a .c file, so the CLI's glob
 * of tools/ .cc sources leaves it out) against Debian's stb headers.
 *
 * usage: decode_chip IN OUT SIDE [SHIFT_Y]
 * Takes the centred square of SIDE pixels (clamped to the image), moved down by SHIFT_Y pixels
 * (negative: up; default 0), resizes it to 150x150 with
 * bilinear sampling on pixel centres, and writes 150*150*3 bytes, rows top to bottom. The crop is
 * a stand-in for alignment: the networks are compared on real photographs, not scored. */
#include <stdio.h>
#include <stdlib.h>

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_JPEG
#define STBI_ONLY_PNG
#define STBI_ONLY_PNM
#include <stb_image.h>

enum { kChip = 150 };

static float sample(const unsigned char* img, int w, int h, float x, float y, int c) {
  if (x < 0) x = 0;
  if (y < 0) y = 0;
  if (x > w - 1) x = (float)(w - 1);
  if (y > h - 1) y = (float)(h - 1);
  const int x0 = (int)x, y0 = (int)y;
  const int x1 = x0 + 1 < w ? x0 + 1 : x0, y1 = y0 + 1 < h ? y0 + 1 : y0;
  const float fx = x - (float)x0, fy = y - (float)y0;
  const float top = img[(y0 * w + x0) * 3 + c] * (1 - fx) + img[(y0 * w + x1) * 3 + c] * fx;
  const float bottom = img[(y1 * w + x0) * 3 + c] * (1 - fx) + img[(y1 * w + x1) * 3 + c] * fx;
  return top * (1 - fy) + bottom * fy;
}

int main(int argc, char** argv) {
  if (argc != 4 && argc != 5) {
    fprintf(stderr, "usage: decode_chip IN OUT SIDE [SHIFT_Y]\n");
    return 2;
  }
  int w = 0, h = 0, channels = 0;
  unsigned char* img = stbi_load(argv[1], &w, &h, &channels, 3);
  if (img == NULL) {
    fprintf(stderr, "cannot decode image (%s): %s\n", argv[1], stbi_failure_reason());
    return 1;
  }
  int side = atoi(argv[3]);
  if (side <= 0 || side > w) side = w;
  if (side > h) side = h;
  const float shift = argc == 5 ? (float)atof(argv[4]) : 0.0f;
  const float left = (w - side) / 2.0f, top = (h - side) / 2.0f + shift, step = (float)side / kChip;
  static unsigned char chip[kChip * kChip * 3];
  for (int y = 0; y < kChip; ++y) {
    for (int x = 0; x < kChip; ++x) {
      for (int c = 0; c < 3; ++c) {
        /* Pixel centres: chip pixel x covers [x, x+1) and samples the source at its middle. */
        const float v = sample(img, w, h, left + (x + 0.5f) * step - 0.5f,
                               top + (y + 0.5f) * step - 0.5f, c);
        chip[(y * kChip + x) * 3 + c] = (unsigned char)(v + 0.5f);
      }
    }
  }
  stbi_image_free(img);
  FILE* out = fopen(argv[2], "wb");
  if (out == NULL || fwrite(chip, 1, sizeof chip, out) != sizeof chip || fclose(out) != 0) {
    fprintf(stderr, "cannot write chip (%s)\n", argv[2]);
    return 1;
  }
  return 0;
}
