// FileSource: publishes what PATH holds through the EventSink, then synced(); then follows PATH
// on disk (real files in a temporary directory, real inotify) and publishes only what changed.
#include "watch/file_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "watch_test_util.h"

namespace kpx::watch {
namespace {

using std::chrono::milliseconds;
using testing::dataPath;
using testing::TempDir;

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

constexpr FileSourceOptions kOnce{.once = true, .debounce = milliseconds(100)};

TEST(FileSource, PublishesObjectsErrorsThenSynced) {
  FileSource source(dataPath("dir"), kOnce);
  RecordingSink sink;
  source.run(sink, std::stop_token());
  EXPECT_EQ(sink.upserts.size(), 4u);
  EXPECT_EQ(sink.errors.size(), 3u);  // the broken Service, the malformed YAML, the cut JSON
  EXPECT_TRUE(sink.removes.empty());
  EXPECT_EQ(sink.syncs, 1);
}

TEST(FileSource, ReadAllIsWhatRunPublishes) {
  FileSource source(dataPath("kubectl-get-svc.yaml"), kOnce);
  auto view = source.readAll();
  ASSERT_TRUE(view) << view.error();
  RecordingSink sink;
  source.run(sink, std::stop_token());
  ASSERT_EQ(sink.upserts.size(), view->objects.size());
  std::set<std::string> published;
  for (const Object& object : sink.upserts) published.insert(keyOf(object));
  for (const Object& object : view->objects) EXPECT_EQ(published.count(keyOf(object)), 1u);
}

TEST(FileSource, UnreadablePathIsReportedAndNeverSynced) {
  for (bool once : {true, false}) {
    FileSource source("/nonexistent/kpx", FileSourceOptions{.once = once});
    RecordingSink sink;
    source.run(sink, std::stop_token());  // returns: there is nothing to watch
    EXPECT_TRUE(sink.upserts.empty());
    EXPECT_EQ(sink.syncs, 0);
    ASSERT_EQ(sink.errors.size(), 1u);
    EXPECT_EQ(sink.errors[0].origin, "/nonexistent/kpx");
    EXPECT_NE(sink.errors[0].str().find("No such file"), std::string::npos) << sink.errors[0].str();
  }
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
  std::unique_ptr<Source> source =
      std::make_unique<FileSource>(dataPath("kubectl-get-node.yaml"), kOnce);
  RecordingSink sink;
  source->run(sink, std::stop_token());
  ASSERT_EQ(sink.upserts.size(), 1u);
  EXPECT_EQ(kindOf(sink.upserts[0]), ObjectKind::Node);
}

// ---- watching ----

std::string service(const std::string& name, int port, const std::string& clusterIP) {
  return "apiVersion: v1\nkind: Service\nmetadata:\n  name: " + name +
         "\n  namespace: shop\nspec:\n  clusterIP: " + clusterIP +
         "\n  ports:\n  - port: " + std::to_string(port) + "\n";
}

std::string slice(const std::string& service, const std::string& ip) {
  return "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: " + service +
         "-1\n  namespace: shop\n  labels:\n    kubernetes.io/service-name: " + service +
         "\naddressType: IPv4\nendpoints:\n- addresses: [\"" + ip + "\"]\n";
}

// One event as the test sees it: "+Service shop/web:8080", "-shop/web", "!<error>", "synced".
std::string describe(const Object& object) {
  std::string text = "+" + std::string(toString(kindOf(object))) + " " + keyOf(object);
  if (const auto* svc = std::get_if<Service>(&object); svc && !svc->ports.empty())
    text += ":" + std::to_string(svc->ports[0].port);
  if (const auto* s = std::get_if<EndpointSlice>(&object); s && !s->endpoints.empty())
    text += "@" + s->endpoints[0].address;
  return text;
}

// A FileSource running in its own thread, watching PATH, with the events it published.
class WatchedSource final : public EventSink {
 public:
  explicit WatchedSource(std::filesystem::path path, milliseconds debounce = milliseconds(100))
      : source_(std::move(path), FileSourceOptions{.once = false, .debounce = debounce}),
        thread_([this](std::stop_token stop) { source_.run(*this, stop); }) {}
  ~WatchedSource() override { stop(); }

  void upsert(Object object) override { add(describe(object)); }
  void remove(ObjectKind, const std::string& key) override { add("-" + key); }
  void invalid(const ObjectError& error) override { add("!" + error.str()); }
  void synced() override { add("synced"); }

  // Waits (5 s at most) until `n` events have been published since the last take(), then
  // returns and forgets them. Fewer than n after 5 s: returns what there is (the test fails).
  std::vector<std::string> take(size_t n) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(5), [&] { return events_.size() >= n; });
    return std::exchange(events_, {});
  }
  // The events published within `quiet` (nothing at all, when the source is right).
  std::vector<std::string> idle(milliseconds quiet = milliseconds(300)) {
    std::this_thread::sleep_for(quiet);
    std::lock_guard lock(mutex_);
    return std::exchange(events_, {});
  }
  // Returns how long stopping took.
  std::chrono::steady_clock::duration stop() {
    const auto start = std::chrono::steady_clock::now();
    thread_.request_stop();
    if (thread_.joinable()) thread_.join();
    return std::chrono::steady_clock::now() - start;
  }

 private:
  void add(std::string event) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
    changed_.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> events_;
  FileSource source_;
  std::jthread thread_;  // last: started once everything it uses exists
};

using Events = std::vector<std::string>;

// Replaces `file` the way editors and kubectl-style writers do: write a temporary file next to
// it, then rename it over the original (one atomic change of inode).
void replaceByRename(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::filesystem::path tmp = dir.write("." + name + ".tmp", text);
  std::filesystem::rename(tmp, dir.path() / name);
}

void writeInPlace(const std::filesystem::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::trunc);
  out << text;
}

TEST(FileSourceWatch, EditInPlacePublishesOnlyTheChangedObject) {
  TempDir dir;
  dir.write("a.yaml", service("web", 80, "10.96.0.10") + "---\n" + slice("web", "10.244.0.5"));
  dir.write("b.yaml", service("db", 5432, "10.96.0.11"));
  WatchedSource watched(dir.path());
  // Services first, then slices, each by namespace/name.
  EXPECT_EQ(watched.take(4), (Events{"+Service shop/db:5432", "+Service shop/web:80",
                                     "+EndpointSlice shop/web-1@10.244.0.5", "synced"}));

  writeInPlace(dir.path() / "a.yaml",
               service("web", 8080, "10.96.0.10") + "---\n" + slice("web", "10.244.0.5"));
  EXPECT_EQ(watched.take(1), (Events{"+Service shop/web:8080"}));
  EXPECT_EQ(watched.idle(), Events{});
}

TEST(FileSourceWatch, RenameReplaceOfTheWatchedFile) {
  TempDir dir;
  const auto file = dir.write("cluster.yaml", service("web", 80, "10.96.0.10") + "---\n" +
                                                  service("old", 81, "10.96.0.12"));
  WatchedSource watched(file);
  EXPECT_EQ(watched.take(3), (Events{"+Service shop/old:81", "+Service shop/web:80", "synced"}));

  replaceByRename(dir, "cluster.yaml",
                  service("web", 80, "10.96.0.10") + "---\n" + service("new", 82, "10.96.0.13"));
  EXPECT_EQ(watched.take(2), (Events{"+Service shop/new:82", "-shop/old"}));

  // The watch follows the new inode: a second replacement is seen too.
  replaceByRename(dir, "cluster.yaml", service("web", 90, "10.96.0.10"));
  EXPECT_EQ(watched.take(2), (Events{"+Service shop/web:90", "-shop/new"}));
  EXPECT_EQ(watched.idle(), Events{});
}

TEST(FileSourceWatch, DeletedFileInADirectoryRemovesItsObjects) {
  TempDir dir;
  dir.write("a.yaml", service("web", 80, "10.96.0.10"));
  dir.write("b.yaml", service("db", 5432, "10.96.0.11") + "---\n" + slice("db", "10.244.0.9"));
  WatchedSource watched(dir.path());
  EXPECT_EQ(watched.take(4).size(), 4u);

  std::filesystem::remove(dir.path() / "b.yaml");
  EXPECT_EQ(watched.take(2), (Events{"-shop/db", "-shop/db-1"}));
  EXPECT_EQ(watched.idle(), Events{});
}

TEST(FileSourceWatch, FileAddedToADirectoryIsPublished) {
  TempDir dir;
  dir.write("a.yaml", service("web", 80, "10.96.0.10"));
  WatchedSource watched(dir.path());
  EXPECT_EQ(watched.take(2), (Events{"+Service shop/web:80", "synced"}));

  replaceByRename(dir, "b.yaml", slice("web", "10.244.0.5"));
  EXPECT_EQ(watched.take(1), (Events{"+EndpointSlice shop/web-1@10.244.0.5"}));
  // Files that are not manifests (notes, editor swap files) change nothing.
  dir.write("notes.txt", service("ghost", 1, "10.96.0.99"));
  dir.write(".a.yaml.swp", "binary junk");
  EXPECT_EQ(watched.idle(), Events{});
}

TEST(FileSourceWatch, SyntaxErrorKeepsThePreviousObjectsUntilFixed) {
  TempDir dir;
  dir.write("a.yaml", service("web", 80, "10.96.0.10") + "---\n" + slice("web", "10.244.0.5"));
  WatchedSource watched(dir.path());
  EXPECT_EQ(watched.take(3).size(), 3u);

  writeInPlace(dir.path() / "a.yaml", "apiVersion: v1\nkind: Service\nspec: [unclosed\n");
  const Events broken = watched.take(1);
  ASSERT_EQ(broken.size(), 1u);
  EXPECT_TRUE(broken[0].starts_with("!")) << broken[0];
  EXPECT_NE(broken[0].find("a.yaml"), std::string::npos) << broken[0];
  EXPECT_EQ(watched.idle(), Events{}) << "nothing removed, the error reported once";

  writeInPlace(dir.path() / "a.yaml", service("web", 81, "10.96.0.10"));
  EXPECT_EQ(watched.take(2), (Events{"+Service shop/web:81", "-shop/web-1"}));
}

TEST(FileSourceWatch, AnObjectThatBecomesInvalidKeepsItsLastValidVersion) {
  TempDir dir;
  dir.write("a.yaml",
            service("web", 80, "10.96.0.10") + "---\n" + service("db", 5432, "10.96.0.11"));
  WatchedSource watched(dir.path());
  EXPECT_EQ(watched.take(3).size(), 3u);

  writeInPlace(dir.path() / "a.yaml",
               service("web", 70000, "10.96.0.10") + "---\n" + service("db", 5433, "10.96.0.11"));
  const Events events = watched.take(2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(events[0].starts_with("!") && events[0].find("70000") != std::string::npos)
      << events[0];
  EXPECT_EQ(events[1], "+Service shop/db:5433");
  EXPECT_EQ(watched.idle(), Events{});
}

TEST(FileSourceWatch, WatchedFileDeletedThenRecreated) {
  TempDir dir;
  const auto file = dir.write("cluster.yaml", service("web", 80, "10.96.0.10"));
  WatchedSource watched(file);
  EXPECT_EQ(watched.take(2).size(), 2u);

  std::filesystem::remove(file);
  const Events gone = watched.take(1);
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_TRUE(gone[0].starts_with("!")) << "reported, objects kept: " << gone[0];

  dir.write("cluster.yaml", service("web", 81, "10.96.0.10"));
  EXPECT_EQ(watched.take(1), (Events{"+Service shop/web:81"}));
}

// A ConfigMap volume: files are symlinks through "..data", which the kubelet swaps atomically.
TEST(FileSourceWatch, ConfigMapVolumeUpdateIsSeen) {
  TempDir dir;
  namespace fs = std::filesystem;
  fs::create_directory(dir.path() / "..2024_01");
  dir.write("..2024_01/svc.yaml", service("web", 80, "10.96.0.10"));
  fs::create_directory_symlink("..2024_01", dir.path() / "..data");
  fs::create_symlink("..data/svc.yaml", dir.path() / "svc.yaml");
  WatchedSource watched(dir.path());
  EXPECT_EQ(watched.take(2), (Events{"+Service shop/web:80", "synced"}));

  fs::create_directory(dir.path() / "..2024_02");
  dir.write("..2024_02/svc.yaml", service("web", 8080, "10.96.0.10"));
  fs::create_directory_symlink("..2024_02", dir.path() / "..data_tmp");
  fs::rename(dir.path() / "..data_tmp", dir.path() / "..data");
  fs::remove_all(dir.path() / "..2024_01");
  EXPECT_EQ(watched.take(1), (Events{"+Service shop/web:8080"}));
}

TEST(FileSourceWatch, BurstOfWritesIsReadOnceAfterTheDebounce) {
  TempDir dir;
  const auto file = dir.write("a.yaml", service("web", 80, "10.96.0.10"));
  WatchedSource watched(dir.path(), milliseconds(400));
  EXPECT_EQ(watched.take(2).size(), 2u);
  for (int port : {81, 82, 83}) {
    writeInPlace(file, service("web", port, "10.96.0.10"));
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ(watched.take(1), (Events{"+Service shop/web:83"}));
  EXPECT_EQ(watched.idle(milliseconds(600)), Events{});
}

TEST(FileSourceWatch, StopReturnsPromptly) {
  TempDir dir;
  dir.write("a.yaml", service("web", 80, "10.96.0.10"));
  WatchedSource watched(dir.path(), milliseconds(10'000));
  EXPECT_EQ(watched.take(2).size(), 2u);
  writeInPlace(dir.path() / "a.yaml", service("web", 81, "10.96.0.10"));  // a long debounce
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_LT(watched.stop(), std::chrono::seconds(1));
}

}  // namespace
}  // namespace kpx::watch
