// Aligned plain-text tables for the CLI (plan, dump): columns padded to their widest cell.
#pragma once

#include <string>
#include <vector>

namespace kpx {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header) : header_(std::move(header)) {}
  void addRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  size_t rows() const { return rows_.size(); }
  std::string str() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

std::string join(const std::vector<std::string>& parts, std::string_view sep);

}  // namespace kpx
