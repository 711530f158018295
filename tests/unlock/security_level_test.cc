#include "unlock/security_level.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>

#include "base/error.h"

namespace fu::unlock {
namespace {

nn::ModelMetadata metadata(std::map<std::string, std::string> properties) {
  nn::ModelMetadata m;
  m.name = "test-embedder";
  m.properties = std::move(properties);
  return m;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(CalibratedLevels, ReadsEveryLevelLoosestFirst) {
  const CalibratedLevels levels(metadata({{"embedder.threshold", "0.912439"},
                                          {"embedder.threshold.far_2e-5", "0.951"},
                                          {"embedder.threshold.far_1e-3", "0.929"},
                                          {"embedder.threshold.far_1e-4", "0.943"},
                                          {"embedder.threshold.source", "LFW View 1"}}));
  ASSERT_EQ(levels.levels().size(), 3u);
  EXPECT_EQ(levels.levels()[0].name, "1e-3");
  EXPECT_EQ(levels.levels()[2].name, "2e-5");
  EXPECT_FLOAT_EQ(levels.levels()[1].threshold, 0.943f);
  EXPECT_DOUBLE_EQ(levels.levels()[1].false_accept_rate, 1e-4);
  EXPECT_FLOAT_EQ(*levels.model_threshold(), 0.912439f);
  EXPECT_FLOAT_EQ(levels.level("2e-5").threshold, 0.951f);
}

TEST(CalibratedLevels, OldNamesAreAliasesAndNoneIsLooserThan1e3) {
  EXPECT_EQ(canonical_level_name("balanced"), "1e-3");
  EXPECT_EQ(canonical_level_name("strict"), "1e-4");
  EXPECT_EQ(canonical_level_name("convenience"), "1e-3");
  const CalibratedLevels levels(metadata({{"embedder.threshold", "0.9"},
                                          {"embedder.threshold.far_1e-3", "0.93"},
                                          {"embedder.threshold.far_1e-4", "0.94"}}));
  EXPECT_FLOAT_EQ(levels.level("convenience").threshold, 0.93f);
  EXPECT_FLOAT_EQ(levels.level("strict").threshold, 0.94f);
  for (const SecurityLevel& l : levels.levels()) EXPECT_LE(l.false_accept_rate, 1e-3);
}

TEST(CalibratedLevels, UnknownOrMissingLevelsSayWhatToDo) {
  const CalibratedLevels levels(metadata({{"embedder.threshold.far_1e-3", "0.93"}}));
  EXPECT_NE(error_of([&] { levels.level("1e-2"); }).find("use '1e-3', '1e-4' or '2e-5'"),
            std::string::npos);
  const std::string missing = error_of([&] { levels.level("2e-5"); });
  EXPECT_NE(missing.find("carries no embedder.threshold.far_2e-5"), std::string::npos) << missing;
  EXPECT_NE(missing.find("faceunlock calibrate"), std::string::npos) << missing;
}

TEST(CalibratedLevels, RejectsMalformedOrDisorderedThresholds) {
  for (const char* bad : {"", "0.9x", "nan", "1.5", "-2", "0,93"}) {
    const std::string e = error_of([&] {
      CalibratedLevels levels(metadata({{"embedder.threshold.far_1e-4", bad}}));
    });
    EXPECT_NE(e.find("cannot read calibrated thresholds (model test-embedder): "
                     "embedder.threshold.far_1e-4 is '" +
                     std::string(bad) + "'"),
              std::string::npos)
        << e;
  }
  EXPECT_NE(error_of([] {
              CalibratedLevels levels(metadata({{"embedder.threshold.far_1e-3", "0.95"},
                                                {"embedder.threshold.far_1e-4", "0.93"}}));
            }).find("recalibrate"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              CalibratedLevels levels(metadata({{"embedder.threshold", "x"}}));
            }).find("embedder.threshold is 'x'"),
            std::string::npos);
}

TEST(CalibratedLevels, AModelWithoutCalibrationOffersNoLevel) {
  const CalibratedLevels levels(metadata({}));
  EXPECT_TRUE(levels.levels().empty());
  EXPECT_FALSE(levels.model_threshold());
  EXPECT_NE(error_of([&] { levels.level("1e-3"); }).find("it offers none"), std::string::npos);
}

}  // namespace
}  // namespace fu::unlock
