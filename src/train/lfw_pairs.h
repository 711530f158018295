// The official LFW protocol files (../shared/data/README.md): pairs.txt (View 2, 10 folds) and
// pairsDevTrain.txt / pairsDevTest.txt (View 1, one set each), and the image lists that the
// all-pairs TAR-at-FAR evaluation needs.
//
// A pairs file starts with "N" (one set) or "F N" (F folds); each set holds N matched lines
// "name n1 n2" followed by N mismatched lines "name1 n1 name2 n2", fields separated by
// whitespace. Image n of a person is <root>/<name>/<name>_<n as 4 digits>.jpg.
#pragma once

#include <string>
#include <vector>

namespace fu::train {

struct LfwPair {
  std::string name_a;
  int number_a = 0;
  std::string name_b;
  int number_b = 0;
  std::string path_a;
  std::string path_b;
  bool same = false;
  int fold = 0;  // 0..F-1; View 1 files have the single fold 0
};

// <root>/<name>/<name>_<number, 4 digits>.jpg.
std::string lfw_image_path(const std::string& root, const std::string& name, int number);

// Parses the text of a pairs file; `label` names it in errors, which give the line number:
// "cannot parse LFW pairs file (<label>): line 7: <reason>".
std::vector<LfwPair> parse_lfw_pairs(const std::string& text, const std::string& data_root,
                                     const std::string& label);
std::vector<LfwPair> read_lfw_pairs(const std::string& pairs_path, const std::string& data_root);

// The distinct people the pairs name, sorted.
std::vector<std::string> lfw_pair_identities(const std::vector<LfwPair>& pairs);

// One image with the identity it shows; `label` numbers identities 0, 1, 2... in the order given.
struct LabeledImage {
  std::string path;
  std::string identity;
  int label = 0;
};

// Every image file <root>/<name>/<name>_NNNN.jpg of each of `identities`, sorted by name, then
// number. Throws fu::Error when an identity's folder is missing or holds no such image.
std::vector<LabeledImage> list_identity_images(const std::string& data_root,
                                               const std::vector<std::string>& identities);

}  // namespace fu::train
