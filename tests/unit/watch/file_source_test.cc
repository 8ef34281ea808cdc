// FileSource: publishes what PATH holds through the EventSink, then synced().
#include "watch/file_source.h"

#include <gtest/gtest.h>

#include "watch_test_util.h"

namespace kpx::watch {
namespace {

using testing::dataPath;

class RecordingSink final : public EventSink {
 public:
  void upsert(Object object) override { upserts.push_back(std::move(object)); }
  void remove(ObjectKind, const std::string& key) override { removes.push_back(key); }
  void invalid(const ObjectError& error) override { errors.push_back(error); }
  void synced() override { ++syncs; }

  std::vector<Object> upserts;
  std::vector<std::string> removes;
  std::vector<ObjectError> errors;
  int syncs = 0;
};

TEST(FileSource, PublishesObjectsErrorsThenSynced) {
  FileSource source(dataPath("dir"));
  RecordingSink sink;
  source.run(sink, std::stop_token());
  EXPECT_EQ(sink.upserts.size(), 4u);
  EXPECT_EQ(sink.errors.size(), 3u);  // the broken Service, the malformed YAML, the cut JSON
  EXPECT_TRUE(sink.removes.empty());
  EXPECT_EQ(sink.syncs, 1);
}

TEST(FileSource, ReadAllIsWhatRunPublishes) {
  FileSource source(dataPath("kubectl-get-svc.yaml"));
  auto view = source.readAll();
  ASSERT_TRUE(view) << view.error();
  RecordingSink sink;
  source.run(sink, std::stop_token());
  ASSERT_EQ(sink.upserts.size(), view->objects.size());
  for (size_t i = 0; i < view->objects.size(); ++i)
    EXPECT_EQ(keyOf(sink.upserts[i]), keyOf(view->objects[i]));
}

TEST(FileSource, UnreadablePathIsReportedAndNeverSynced) {
  FileSource source("/nonexistent/kpx");
  RecordingSink sink;
  source.run(sink, std::stop_token());
  EXPECT_TRUE(sink.upserts.empty());
  EXPECT_EQ(sink.syncs, 0);
  ASSERT_EQ(sink.errors.size(), 1u);
  EXPECT_EQ(sink.errors[0].origin, "/nonexistent/kpx");
  EXPECT_NE(sink.errors[0].str().find("No such file"), std::string::npos) << sink.errors[0].str();
}

TEST(FileSource, StopBeforePublishingIsNotSynced) {
  std::stop_source stop;
  stop.request_stop();
  FileSource source(dataPath("kubectl-get-svc.yaml"));
  RecordingSink sink;
  source.run(sink, stop.get_token());
  EXPECT_TRUE(sink.upserts.empty());
  EXPECT_EQ(sink.syncs, 0);
}

TEST(FileSource, UsableThroughTheSourceInterface) {
  std::unique_ptr<Source> source = std::make_unique<FileSource>(dataPath("kubectl-get-node.yaml"));
  RecordingSink sink;
  source->run(sink, std::stop_token());
  ASSERT_EQ(sink.upserts.size(), 1u);
  EXPECT_EQ(kindOf(sink.upserts[0]), ObjectKind::Node);
}

}  // namespace
}  // namespace kpx::watch
