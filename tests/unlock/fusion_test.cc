#include "unlock/fusion.h"

#include <gtest/gtest.h>

#include <string>

#include "base/error.h"

namespace fu::unlock {
namespace {

FrameMatch accept(const std::string& user) { return FrameMatch{user, 0.9f, true}; }
FrameMatch reject(const std::string& user) { return FrameMatch{user, 0.1f, false}; }

TEST(DecisionFusion, DefaultsToThreeOfFive) {
  DecisionFusion fusion;
  EXPECT_EQ(fusion.required(), 3);
  EXPECT_EQ(fusion.window(), 5);
  EXPECT_FALSE(fusion.fused().accepted);
  EXPECT_EQ(fusion.fused().user, "");
  EXPECT_EQ(fusion.fused().frames, 0);
}

TEST(DecisionFusion, AcceptsOnTheRequiredFrame) {
  DecisionFusion fusion;
  fusion.add(accept("ann"));
  fusion.add(accept("ann"));
  FusedDecision d = fusion.fused();
  EXPECT_FALSE(d.accepted);
  EXPECT_EQ(d.user, "ann");
  EXPECT_EQ(d.frames, 2);
  fusion.add(accept("ann"));
  d = fusion.fused();
  EXPECT_TRUE(d.accepted);
  EXPECT_EQ(d.user, "ann");
  EXPECT_EQ(d.frames, 3);
}

TEST(DecisionFusion, RejectedAndOtherUsersFramesDoNotCount) {
  DecisionFusion fusion;
  fusion.add(accept("ann"));
  fusion.add(reject("ann"));
  fusion.add(accept("bob"));
  fusion.add(accept("ann"));
  fusion.add(FrameMatch{});  // nobody to compare with
  const FusedDecision d = fusion.fused();
  EXPECT_FALSE(d.accepted);
  EXPECT_EQ(d.user, "ann");
  EXPECT_EQ(d.frames, 2);
}

TEST(DecisionFusion, OldFramesLeaveTheWindow) {
  DecisionFusion fusion(2, 3);
  fusion.add(accept("ann"));
  fusion.add(accept("ann"));
  EXPECT_TRUE(fusion.fused().accepted);
  fusion.add(reject("ann"));
  EXPECT_TRUE(fusion.fused().accepted);  // both accepts still among the last 3
  fusion.add(reject("ann"));
  EXPECT_FALSE(fusion.fused().accepted);
  EXPECT_EQ(fusion.fused().frames, 1);
  EXPECT_EQ(fusion.size(), 3u);
}

TEST(DecisionFusion, TheMostRecentUserWinsATie) {
  DecisionFusion fusion(2, 4);
  fusion.add(accept("ann"));
  fusion.add(accept("ann"));
  fusion.add(accept("bob"));
  fusion.add(accept("bob"));
  const FusedDecision d = fusion.fused();
  EXPECT_TRUE(d.accepted);
  EXPECT_EQ(d.user, "bob");
  EXPECT_EQ(d.frames, 2);
}

TEST(DecisionFusion, ResetForgetsEverything) {
  DecisionFusion fusion(1, 1);
  fusion.add(accept("ann"));
  EXPECT_TRUE(fusion.fused().accepted);
  fusion.reset();
  EXPECT_EQ(fusion.size(), 0u);
  EXPECT_FALSE(fusion.fused().accepted);
  EXPECT_EQ(fusion.fused().user, "");
}

TEST(DecisionFusion, FrameMatchFromADecision) {
  Decision decision;
  decision.user = "ann";
  decision.score = 0.7f;
  decision.threshold = 0.5f;
  decision.accepted = true;
  const FrameMatch m = frame_match(decision);
  EXPECT_EQ(m.user, "ann");
  EXPECT_FLOAT_EQ(m.score, 0.7f);
  EXPECT_TRUE(m.accepted);
}

TEST(DecisionFusion, InvalidSizesAreErrors) {
  for (const auto& [required, window] : {std::pair{0, 5}, std::pair{6, 5}, std::pair{1, 0},
                                         std::pair{-1, -1}, std::pair{1, kMaxFusionWindow + 1}}) {
    try {
      DecisionFusion fusion(required, window);
      ADD_FAILURE() << "accepted required " << required << " of window " << window;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("cannot create decision fusion (required " +
                                           std::to_string(required) + " of window " +
                                           std::to_string(window) + ")"),
                std::string::npos)
          << e.what();
    }
  }
  EXPECT_NO_THROW(DecisionFusion(kMaxFusionWindow, kMaxFusionWindow));
}

}  // namespace
}  // namespace fu::unlock
