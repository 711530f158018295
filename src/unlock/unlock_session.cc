#include "unlock/unlock_session.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "base/error.h"
#include "face/quality.h"
#include "unlock/similarity.h"

namespace fu::unlock {
namespace {

std::string wait_text(double ms) {
  const long s = static_cast<long>(std::ceil(ms / 1000));
  return s < 120 ? std::to_string(s) + " s" : std::to_string((s + 59) / 60) + " min";
}

std::string turn_prompt(TurnDirection direction, int done) {
  return std::string(done == 0 ? "turn your head to the " : "now turn your head to the ") +
         turn_direction_name(direction);
}

// What stopped the turn, for the hint: "; closest frame: lateral 0.171 < 0.2". When the closest
// frame passed every check, its neighbours did not: the turn was too brief to count.
std::string closest_text(const TurnVerdict& closest) {
  if (closest.failed == TurnCheck::kNone) {
    return "; single frames showed the turn: hold it a moment longer";
  }
  const std::string text = closest.text();
  return text.empty() ? "" : "; closest frame: " + text;
}

}  // namespace

const char* challenge_identity_name(ChallengeIdentity mode) {
  switch (mode) {
    case ChallengeIdentity::kGallery:
      return "gallery";
    case ChallengeIdentity::kGalleryOrStart:
      return "gallery+start";
    case ChallengeIdentity::kOff:
      return "off";
  }
  return "unknown";
}

ChallengeIdentity parse_challenge_identity(const std::string& name) {
  for (ChallengeIdentity mode :
       {ChallengeIdentity::kGallery, ChallengeIdentity::kGalleryOrStart, ChallengeIdentity::kOff}) {
    if (name == challenge_identity_name(mode)) return mode;
  }
  throw Error("cannot set challenge identity (" + name +
              "): expected 'gallery', 'gallery+start' or 'off'");
}

ChallengeIdentity default_challenge_identity(KeypointSource source) {
  return source == KeypointSource::kLandmarks68 ? ChallengeIdentity::kGalleryOrStart
                                                : ChallengeIdentity::kGallery;
}

UnlockSession::UnlockSession(const Gallery& gallery, CalibratedLevels levels,
                             const SessionOptions& options,
                             const std::vector<std::string>& keypoint_names, Clock clock)
    : gallery_(gallery),
      levels_(std::move(levels)),
      options_(options),
      points_(keypoint_names),
      clock_(std::move(clock)),
      fusion_(options.fusion_required, options.fusion_window),
      order_random_(options.liveness.seed) {
  if (!clock_) throw Error("cannot create unlock session (no clock): a clock is required");
  check_liveness_options(options_.liveness);
  if (options_.threshold) {
    set_threshold(*options_.threshold);
  } else {
    set_level(options_.level);
  }
  if (options_.lockout) lockout_ = std::make_unique<Lockout>(*options_.lockout, clock_);
}

void UnlockSession::set_level(const std::string& name) {
  const SecurityLevel& level = levels_.level(name);
  cancel();
  level_ = level.name;
  threshold_ = level.threshold;
  options_.level = level.name;
  options_.threshold.reset();
}

void UnlockSession::set_threshold(float threshold) {
  if (!(std::isfinite(threshold) && threshold >= -1.0f && threshold <= 1.0f)) {
    throw Error("cannot set threshold (" + std::to_string(threshold) +
                "): it must be a cosine similarity from -1 to 1");
  }
  cancel();
  level_ = "custom";
  threshold_ = threshold;
  options_.threshold = threshold;
}

void UnlockSession::set_fusion(int required, int window) {
  DecisionFusion fusion(required, window);
  cancel();
  fusion_ = fusion;
  options_.fusion_required = required;
  options_.fusion_window = window;
}

void UnlockSession::set_liveness(const LivenessOptions& liveness) {
  check_liveness_options(liveness);
  cancel();
  // A new seed restarts the order's sequence; the same seed keeps it going.
  if (liveness.seed != options_.liveness.seed) order_random_.seed(liveness.seed);
  options_.liveness = liveness;
}

void UnlockSession::set_lockout(const std::optional<LockoutPolicy>& policy) {
  std::unique_ptr<Lockout> lockout;
  if (policy) lockout = std::make_unique<Lockout>(*policy, clock_);
  cancel();
  lockout_ = std::move(lockout);
  options_.lockout = policy;
}

std::vector<TurnDirection> UnlockSession::next_turns() const {
  std::mt19937_64 copy = order_random_;
  return HeadTurnChallenge(options_.liveness, copy()).turns();
}

void UnlockSession::reset_fusion() {
  fusion_.reset();
  challenge_.reset();
  if (phase_ == Phase::kChallenge) phase_ = Phase::kMatching;
}

void UnlockSession::cancel() {
  phase_ = Phase::kIdle;
  fusion_.reset();
  challenge_.reset();
}

void UnlockSession::require_attempt(const char* verb) const {
  if (phase_ == Phase::kIdle) {
    throw Error(std::string("cannot ") + verb +
                " (unlock session): no attempt is running; call begin() first");
  }
}

SessionUpdate UnlockSession::begin() {
  cancel();
  SessionUpdate update;
  if (lockout_) {
    const LockoutStatus status = lockout_->status();
    if (status.locked) {
      update.status = SessionUpdate::Status::kRejected;
      update.reason = UnlockReason::kLockedOut;
      update.reason_name = unlock_reason_name(update.reason);
      update.retry_after_ms = status.retry_after_ms;
      update.hint = "too many failed attempts: try again in " + wait_text(status.retry_after_ms);
      return update;
    }
  }
  if (gallery_.user_count() == 0) {
    update.status = SessionUpdate::Status::kRejected;
    update.reason = UnlockReason::kNotEnrolled;
    update.reason_name = unlock_reason_name(update.reason);
    update.hint = "no one is enrolled yet";
    return update;
  }
  phase_ = Phase::kMatching;
  saw_face_ = false;
  saw_embedding_ = false;
  last_issue_.clear();
  last_hint_ = "look at the camera";
  counted_ = false;
  best_.clear();
  identity_misses_ = 0;
  challenge_user_.clear();
  start_embedding_.clear();
  return running_update();
}

SessionUpdate UnlockSession::running_update() const {
  SessionUpdate update;
  update.hint = last_hint_;
  if (challenge_) {
    update.challenge = true;
    update.user = challenge_user_;
    update.score = best_of(challenge_user_);
    update.turn = challenge_->current();
    update.turns_done = challenge_->step();
    update.turns_total = challenge_->steps();
  } else {
    update.score = best_overall();
  }
  return update;
}

std::optional<float> UnlockSession::best_of(const std::string& user) const {
  auto it = best_.find(user);
  if (it == best_.end()) return std::nullopt;
  return it->second;
}

std::optional<float> UnlockSession::best_overall() const {
  std::optional<float> best;
  for (const auto& [user, score] : best_) best = best ? std::max(*best, score) : score;
  return best;
}

void UnlockSession::count_failure(SessionUpdate& update) {
  if (counted_ || !lockout_) return;
  counted_ = true;
  lockout_->record_failure();
  update.lockout_changed = true;
}

SessionUpdate UnlockSession::finish(UnlockReason reason, const std::string& hint) {
  SessionUpdate update = running_update();
  update.status = SessionUpdate::Status::kRejected;
  update.reason = reason;
  update.reason_name = reason == UnlockReason::kQuality ? last_issue_ : unlock_reason_name(reason);
  update.hint = hint;
  // Not unlocked, so nobody is named; the score says how near the attempt came.
  update.user.clear();
  update.score = best_overall();
  if (reason == UnlockReason::kLivenessFailed) count_failure(update);
  phase_ = Phase::kIdle;
  fusion_.reset();
  return update;
}

SessionUpdate UnlockSession::unlocked(const std::string& user) {
  SessionUpdate update = running_update();
  update.status = SessionUpdate::Status::kUnlocked;
  update.reason = UnlockReason::kMatched;
  update.reason_name = unlock_reason_name(update.reason);
  update.user = user;
  update.score = best_of(user);
  update.hint = "";
  if (lockout_ && lockout_->record_success()) update.lockout_changed = true;
  phase_ = Phase::kIdle;
  fusion_.reset();
  return update;
}

bool UnlockSession::usable_for_identity(const face::FaceAnalysis& analysis) const {
  const face::Quality& q = analysis.quality;
  if (q.ok()) return true;
  if (phase_ != Phase::kChallenge || q.issue != face::QualityIssue::kTurned) return false;
  // The checks run in order and report the first failure, so a turned face passed the frame,
  // size, light and roll checks; only sharpness, checked after yaw, is left to check here.
  return q.sharpness >= options_.quality.min_sharpness;
}

FrameIdentity UnlockSession::identity_of(const Decision& match, const std::string& user) const {
  return {match.accepted && match.user == user, match.score, threshold_};
}

FrameIdentity UnlockSession::challenge_identity_of(const std::optional<Decision>& match,
                                                   const std::vector<float>& embedding) const {
  if (options_.challenge_identity == ChallengeIdentity::kOff) {
    return {true, match ? match->score : 0.0, threshold_};
  }
  if (!match) return {};
  FrameIdentity identity = identity_of(*match, challenge_user_);
  if (identity.ok || options_.challenge_identity != ChallengeIdentity::kGalleryOrStart ||
      start_embedding_.empty()) {
    return identity;
  }
  const double continuity = cosine_similarity(l2_normalized(embedding), start_embedding_);
  if (continuity >= threshold_) return {true, continuity, threshold_};
  return identity;
}

SessionUpdate UnlockSession::add_frame(const face::FaceAnalysis& analysis) {
  require_attempt("add frame");
  const double now = clock_();
  const bool has_face = analysis.has_face();
  std::optional<Decision> match;
  if (has_face) {
    saw_face_ = true;
    last_issue_ = face::quality_issue_name(analysis.quality.issue);
    last_hint_ = analysis.quality.reason;
  } else {
    last_hint_ = "look at the camera";
  }
  if (has_face && !analysis.embedding.empty() && usable_for_identity(analysis)) {
    saw_embedding_ = true;
    match = gallery_.identify(analysis.embedding, threshold_, 1).best;
    if (!match->user.empty()) {
      auto [it, added] = best_.emplace(match->user, match->score);
      if (!added) it->second = std::max(it->second, match->score);
    }
  }

  SessionUpdate pending;  // collects lockout_changed before the final update is built
  if (phase_ == Phase::kMatching) {
    std::optional<FusedDecision> fused;
    if (match) {
      fusion_.add(frame_match(*match));
      fused = fusion_.fused();
      if (!match->accepted) count_failure(pending);
    }
    if (fused && fused->accepted) {
      if (!options_.liveness.enabled) {
        SessionUpdate update = unlocked(fused->user);
        update.match = match;
        update.fused = fused;
        update.lockout_changed = update.lockout_changed || pending.lockout_changed;
        return update;
      }
      // The reference frame must itself be the user's: the fusion may have accepted on earlier
      // frames while this one shows someone else.
      const bool start_is_user = match && identity_of(*match, fused->user).ok;
      if (std::fabs(analysis.quality.yaw) <= options_.liveness.max_start_yaw && start_is_user) {
        challenge_.emplace(options_.liveness, order_random_());
        challenge_->start(points_.of(analysis.faces[analysis.chosen]), now);
        challenge_user_ = fused->user;
        start_embedding_ = l2_normalized(analysis.embedding);
        identity_misses_ = 0;
        phase_ = Phase::kChallenge;
        // Provisionally failed until the challenge passes: see the header.
        count_failure(pending);
        last_hint_ = turn_prompt(challenge_->current(), 0);
      } else {
        last_hint_ = "face the camera";
      }
    }
    SessionUpdate update = running_update();
    update.match = match;
    update.fused = fused;
    update.lockout_changed = pending.lockout_changed;
    return update;
  }

  // Challenge: the same person on every frame, and the turns in order.
  const FrameIdentity identity = challenge_identity_of(match, analysis.embedding);
  if (match) {
    if (!identity.ok && ++identity_misses_ > options_.liveness.identity_misses_allowed) {
      char detail[96];
      std::snprintf(detail, sizeof detail, " (score %.3f, needs %.3f)", identity.score,
                    identity.threshold);
      SessionUpdate update =
          finish(UnlockReason::kLivenessFailed,
                 std::string("a different face appeared during the check") + detail);
      update.match = match;
      update.verdict = TurnVerdict{TurnCheck::kIdentity, identity.score, identity.threshold, 6};
      update.lockout_changed = update.lockout_changed || pending.lockout_changed;
      return update;
    }
  }
  HeadPoints points{};
  if (has_face) points = points_.of(analysis.faces[analysis.chosen]);
  const HeadTurnChallenge::Status status =
      challenge_->add(has_face ? &points : nullptr, identity, now);
  const std::optional<TurnMeasure> measure =
      has_face ? std::optional<TurnMeasure>(challenge_->last_measure()) : std::nullopt;
  if (status == HeadTurnChallenge::Status::kPassed) {
    SessionUpdate update = unlocked(challenge_user_);
    update.match = match;
    update.measure = measure;
    update.verdict = challenge_->last_verdict();
    return update;
  }
  if (status == HeadTurnChallenge::Status::kFailed) {
    const TurnVerdict closest = challenge_->closest();
    SessionUpdate update =
        finish(UnlockReason::kLivenessFailed, challenge_->failure() + closest_text(closest));
    update.match = match;
    update.measure = measure;
    update.verdict = closest;
    return update;
  }
  last_hint_ = challenge_->past_judged_range()
                   ? std::string("not so far: turn back a little towards the camera")
                   : turn_prompt(challenge_->current(), challenge_->step());
  SessionUpdate update = running_update();
  update.match = match;
  update.measure = measure;
  update.verdict = challenge_->last_verdict();
  return update;
}

std::pair<Decision, FusedDecision> UnlockSession::match_frame(const std::vector<float>& embedding,
                                                              std::optional<float> threshold) {
  if (phase_ != Phase::kIdle) {
    throw Error("cannot match frame (unlock session): an unlock attempt is running; end it first");
  }
  const float t = threshold.value_or(threshold_);
  if (!(std::isfinite(t) && t >= -1.0f && t <= 1.0f)) {
    throw Error("cannot match frame (threshold " + std::to_string(t) +
                "): it must be a cosine similarity from -1 to 1");
  }
  const Decision match = gallery_.identify(embedding, t, 1).best;
  fusion_.add(frame_match(match));
  return {match, fusion_.fused()};
}

SessionUpdate UnlockSession::end() {
  require_attempt("end attempt");
  if (phase_ == Phase::kChallenge) {
    const TurnVerdict closest = challenge_->closest();
    SessionUpdate update = finish(UnlockReason::kLivenessFailed,
                                  std::string("the head did not turn to the ") +
                                      turn_direction_name(challenge_->current()) +
                                      " before the attempt ended" + closest_text(closest));
    update.verdict = closest;
    return update;
  }
  if (!saw_face_) return finish(UnlockReason::kNoFace, "look at the camera");
  // Every face failed a quality check: the last one's issue says what to fix.
  if (!saw_embedding_) return finish(UnlockReason::kQuality, last_hint_);
  return finish(UnlockReason::kNotRecognised, "face not recognised");
}

}  // namespace fu::unlock
