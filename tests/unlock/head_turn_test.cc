#include "unlock/head_turn.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "base/error.h"
#include "face/face.h"
#include "unlock/head_model.h"
#include "unlock/liveness_challenge.h"

namespace fu::unlock {
namespace {

using testing::flat_picture;
using testing::for_each_picture_drawn_turned;
using testing::for_each_tilted_picture;
using testing::Pose;
using testing::project;
using testing::real_head;

const LivenessOptions kDefaults;

// Would the challenge count this frame as a turn to the subject's left (sign +1) or right (-1)?
bool passes(const TurnMeasure& m, double sign) {
  return m.valid && sign * m.lateral >= kDefaults.bounds.min_lateral &&
         sign * m.parallax >= kDefaults.bounds.min_parallax;
}

TEST(HeadTurn, StillFrameMeasuresNothing) {
  const HeadPoints p = project(real_head(), Pose{});
  const TurnMeasure m = measure_turn(p, p);
  EXPECT_TRUE(m.valid);
  EXPECT_NEAR(m.lateral, 0.0, 1e-12);
  EXPECT_NEAR(m.parallax, 0.0, 1e-12);
  EXPECT_NEAR(m.residual, 0.0, 1e-12);
}

TEST(HeadTurn, FrontalFaceHasCentredNose) {
  EXPECT_NEAR(nose_lateral(project(real_head(), Pose{})), 0.0, 1e-12);
}

TEST(HeadTurn, RealTurnsPassInTheirDirectionOnly) {
  // 15 degrees is the smallest turn the defaults are meant to see (a "turn your head" prompt
  // gets 20 to 40); at 20 to 50 cm from the camera.
  for (double distance : {3.0, 5.0, 8.0}) {
    Pose front;
    front.distance = distance;
    const HeadPoints reference = project(real_head(), front);
    for (double yaw : {15.0, 20.0, 30.0, 40.0}) {
      Pose left = front, right = front;
      left.yaw_degrees = yaw;
      right.yaw_degrees = -yaw;
      const TurnMeasure l = measure_turn(reference, project(real_head(), left));
      const TurnMeasure r = measure_turn(reference, project(real_head(), right));
      SCOPED_TRACE("distance " + std::to_string(distance) + " yaw " + std::to_string(yaw));
      EXPECT_TRUE(passes(l, +1));
      EXPECT_FALSE(passes(l, -1));
      EXPECT_TRUE(passes(r, -1));
      EXPECT_FALSE(passes(r, +1));
    }
  }
}

TEST(HeadTurn, SqueezeKeepsRealTurnsOfAnySizeNearOne) {
  // The aspect of a head falls with its turn (cos(yaw): 0.78 at 40 degrees); the squeeze, the
  // aspect against a head turned as far as the nose moved, stays near 1. Zoomed and moved, which
  // neither measure sees.
  for (double distance : {3.0, 5.0, 8.0}) {
    Pose front;
    front.distance = distance;
    const HeadPoints head = project(real_head(), front);
    for (double yaw : {15.0, 20.0, 30.0, 40.0}) {
      for (double sign : {-1.0, 1.0}) {
        Pose p = front;
        p.yaw_degrees = sign * yaw;
        p.scale *= 1.3;
        p.x -= 50;
        SCOPED_TRACE("distance " + std::to_string(distance) + " yaw " + std::to_string(yaw));
        const TurnMeasure m = measure_turn(head, project(real_head(), p));
        EXPECT_NEAR(m.squeeze, 1.0, 0.07);
        EXPECT_GE(m.squeeze, kDefaults.bounds.min_squeeze);
        EXPECT_NEAR(m.aspect, std::cos(yaw * M_PI / 180), 0.04);
      }
    }
  }
  const HeadPoints still = project(real_head(), Pose{});
  EXPECT_NEAR(measure_turn(still, still).squeeze, 1.0, 1e-12);
}

TEST(HeadTurn, SqueezeRefusesATiltedPictureDrawnTurned) {
  // BlazeFace on a photo tilted 40 to 60 degrees can draw the nose aside as if the head had
  // turned (its learned face shape), while the face is squeezed across by cos(tilt). Modelled
  // here: the flat picture with its nose drawn aside by 0.1 to 0.2 eye distances (lateral 0.2 to
  // 0.42, what BlazeFace draws on tilted AT&T and LFW photos), tilted 40 to 60 degrees. The
  // squeeze sees a face narrower than a head turned that far; lateral and parallax are fooled, as
  // the detector is. What this does not cover: a detector drawing a turn as large as the squeeze
  // would need (a nose drawn 0.3 aside at a 30 degree tilt measures squeeze 1.06 and would pass);
  // tests/cli/unlock.test.mjs measures what BlazeFace actually draws.
  for_each_picture_drawn_turned(
      {0.1, 0.15, 0.2}, 1.2,
      [](double distance, double tilt, double shift, double sign, const TurnMeasure& m) {
        SCOPED_TRACE("distance " + std::to_string(distance) + " tilt " + std::to_string(tilt) +
                     " shift " + std::to_string(shift));
        EXPECT_GE(sign * m.lateral, kDefaults.bounds.min_lateral) << "the drawn nose looks turned";
        EXPECT_LT(m.squeeze, kDefaults.bounds.min_squeeze);
      });
}

TEST(HeadTurn, SmallTurnsAndNoddingDoNotPass) {
  const HeadPoints reference = project(real_head(), Pose{});
  for (double yaw : {-5.0, 5.0}) {
    Pose p;
    p.yaw_degrees = yaw;
    const TurnMeasure m = measure_turn(reference, project(real_head(), p));
    EXPECT_FALSE(passes(m, +1));
    EXPECT_FALSE(passes(m, -1));
  }
  for (double pitch : {-30.0, 30.0}) {
    Pose p;
    p.pitch_degrees = pitch;
    const TurnMeasure m = measure_turn(reference, project(real_head(), p));
    EXPECT_GT(m.residual, 0.1) << "nodding is not planar...";
    EXPECT_FALSE(passes(m, +1)) << "...but it is no turn";
    EXPECT_FALSE(passes(m, -1));
  }
}

TEST(HeadTurn, AffineMotionsOfAPictureMeasureZero) {
  // Held square to the camera, a picture moves by a similarity: moved, rotated, zoomed.
  const HeadPoints reference = project(flat_picture(), Pose{});
  for (double roll : {-30.0, 0.0, 25.0}) {
    for (double zoom : {0.6, 1.0, 1.7}) {
      for (double shift : {-80.0, 0.0, 120.0}) {
        Pose p;
        p.roll_degrees = roll;
        p.scale *= zoom;
        p.x += shift;
        p.y -= shift / 2;
        const TurnMeasure m = measure_turn(reference, project(flat_picture(), p));
        EXPECT_NEAR(m.lateral, 0.0, 1e-9);
        EXPECT_NEAR(m.parallax, 0.0, 1e-9);
        EXPECT_NEAR(m.residual, 0.0, 1e-9);
      }
    }
  }
}

TEST(HeadTurn, TiltedPicturesNeverPass) {
  // Tilted about a vertical axis (and at once rolled, moved, zoomed), as close as 3 eye distances
  // (19 cm) where perspective is strongest: the picture's points are no longer an affine image of
  // the reference, but lateral stays far below the threshold.
  for_each_tilted_picture(1.2, [](double distance, double tilt, const TurnMeasure& m) {
    SCOPED_TRACE("distance " + std::to_string(distance) + " tilt " + std::to_string(tilt));
    EXPECT_LT(std::fabs(m.lateral), kDefaults.bounds.min_lateral / 2.5);
    EXPECT_FALSE(passes(m, +1));
    EXPECT_FALSE(passes(m, -1));
  });
}

TEST(HeadTurn, PictureOfATurnedHeadTiltedDoesNotPass) {
  // A photo of the user already turned, used as its own reference: still planar.
  Pose turned;
  turned.yaw_degrees = 25;
  testing::Head printed = real_head();
  const HeadPoints shot = project(printed, turned);
  testing::Head paper;
  for (int i = 0; i < 6; ++i) {
    const image::Point* pts[] = {&shot.right_eye, &shot.left_eye,  &shot.nose,
                                 &shot.mouth,     &shot.right_ear, &shot.left_ear};
    paper[i] = {(pts[i]->x - 320) / 100, (pts[i]->y - 240) / 100, 0};
  }
  const HeadPoints reference = project(paper, Pose{});
  for (double tilt : {-50.0, 50.0}) {
    Pose p;
    p.yaw_degrees = tilt;
    const TurnMeasure m = measure_turn(reference, project(paper, p));
    EXPECT_FALSE(passes(m, +1));
    EXPECT_FALSE(passes(m, -1));
  }
}

TEST(HeadTurn, DegenerateFramesAreInvalid) {
  HeadPoints same{};
  EXPECT_FALSE(measure_turn(same, same).valid);
}

TEST(HeadPointIndex, FindsTheSixByName) {
  const HeadPointIndex index(face::canonical_keypoint_names());
  const HeadPoints p = project(real_head(), Pose{});
  const HeadPoints back = index.of(testing::face_of(p));
  EXPECT_EQ(back.nose.x, p.nose.x);
  EXPECT_EQ(back.left_ear.y, p.left_ear.y);
}

TEST(HeadPointIndex, NamesWhatIsMissing) {
  try {
    HeadPointIndex index({"right_eye", "left_eye", "nose_tip", "mouth_center"});
    FAIL() << "accepted keypoints without ears";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("right_ear"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fu::unlock
