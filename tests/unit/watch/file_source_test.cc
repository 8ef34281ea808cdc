// FileSource: publishes what PATH holds through the EventSink, then synced(); then follows PATH
// on disk (real files in a temporary directory, real inotify) and publishes only what changed.
// The debounce runs on a ManualClock that only the test moves, so no test sleeps: a burst of
// changes made before the clock moves is one re-read, whatever the machine's speed.
#include "watch/file_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "tests/unit/waiting.h"
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

// A FileSource running in its own thread, watching PATH on a ManualClock, with the events it
// published. Its debounce passes only while take() waits: changes made between two take()s are
// one burst.
class WatchedSource final : public EventSink {
 public:
  explicit WatchedSource(std::filesystem::path path, milliseconds debounce = milliseconds(20))
      : debounce_(debounce),
        source_(std::move(path), FileSourceOptions{.once = false, .debounce = debounce}, clock_),
        returned_(returnedPromise_.get_future()),
        thread_([this](std::stop_token stop) {
          source_.run(*this, stop);
          returnedPromise_.set_value();
        }) {}
  ~WatchedSource() override { stop(); }

  void upsert(Object object) override { add(describe(object)); }
  void remove(ObjectKind, const std::string& key) override { add("-" + key); }
  void invalid(const ObjectError& error) override { add("!" + error.str()); }
  void synced() override { add("synced"); }

  // Waits until `n` events have been published since the last take(), moving the clock on by a
  // debounce every millisecond meanwhile, then returns them all and forgets them. Fewer than n
  // after the failure timeout: returns what there is (the test fails).
  std::vector<std::string> take(size_t n) {
    return takeWhen([&] { return events_.size() >= n; });
  }
  // The same, until `last` has been published: everything published before it comes with it, so
  // `take(last) == {last}` says nothing else was published since the last take().
  std::vector<std::string> take(const std::string& last) {
    return takeWhen(
        [&] { return std::find(events_.begin(), events_.end(), last) != events_.end(); });
  }
  ManualClock& clock() { return clock_; }
  // Requests the stop; run() must return (within the failure timeout).
  void stop() {
    thread_.request_stop();
    kpx::test::awaitOrAbort(returned_, "FileSource::run after the stop");
    if (thread_.joinable()) thread_.join();
  }

 private:
  template <class Pred>
  std::vector<std::string> takeWhen(Pred done) {
    std::unique_lock lock(mutex_);
    for (auto waited = milliseconds(0); !done() && waited < kpx::test::kFailAfter;
         waited += milliseconds(1)) {
      if (!changed_.wait_for(lock, milliseconds(1), done)) clock_.advance(debounce_);
    }
    return std::exchange(events_, {});
  }
  void add(std::string event) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
    changed_.notify_all();
  }

  const milliseconds debounce_;
  ManualClock clock_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> events_;
  FileSource source_;
  std::promise<void> returnedPromise_;
  std::future<void> returned_;
  std::jthread thread_;  // last: started once everything it uses exists
};

// A Service written last in every test: its events alone must follow, or something else was
// published in between (what an idle period would have shown, without waiting for one).
const std::string kMarker = "+Service shop/zz:1";
std::string marker() {
  return service("zz", 1, "10.96.0.99");
}

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
  dir.write("zz.yaml", marker());
  EXPECT_EQ(watched.take(kMarker), Events{kMarker});
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
  replaceByRename(dir, "cluster.yaml", service("web", 90, "10.96.0.10") + "---\n" + marker());
  EXPECT_EQ(watched.take(kMarker), Events{kMarker});
}

TEST(FileSourceWatch, DeletedFileInADirectoryRemovesItsObjects) {
  TempDir dir;
  dir.write("a.yaml", service("web", 80, "10.96.0.10"));
  dir.write("b.yaml", service("db", 5432, "10.96.0.11") + "---\n" + slice("db", "10.244.0.9"));
  WatchedSource watched(dir.path());
  EXPECT_EQ(watched.take(4).size(), 4u);

  std::filesystem::remove(dir.path() / "b.yaml");
  EXPECT_EQ(watched.take(2), (Events{"-shop/db", "-shop/db-1"}));
  dir.write("zz.yaml", marker());
  EXPECT_EQ(watched.take(kMarker), Events{kMarker});
}

TEST(FileSourceWatch, FileAddedToADirectoryIsPublished) {
  TempDir dir;
  dir.write("a.yaml", service("web", 80, "10.96.0.10"));
  WatchedSource watched(dir.path());
  EXPECT_EQ(watched.take(2), (Events{"+Service shop/web:80", "synced"}));

  replaceByRename(dir, "b.yaml", slice("web", "10.244.0.5"));
  EXPECT_EQ(watched.take(1), (Events{"+EndpointSlice shop/web-1@10.244.0.5"}));
  // Files that are not manifests (notes, editor swap files) change nothing: the ghost would come
  // before the marker.
  dir.write("notes.txt", service("ghost", 1, "10.96.0.98"));
  dir.write(".a.yaml.swp", "binary junk");
  dir.write("zz.yaml", marker());
  EXPECT_EQ(watched.take(kMarker), Events{kMarker});
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

  // Nothing removed, the error reported once: nothing comes before the fix's own events.
  writeInPlace(dir.path() / "a.yaml", service("web", 81, "10.96.0.10"));
  EXPECT_EQ(watched.take("-shop/web-1"), (Events{"+Service shop/web:81", "-shop/web-1"}));
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
  dir.write("zz.yaml", marker());
  EXPECT_EQ(watched.take(kMarker), Events{kMarker});
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
  EXPECT_EQ(watched.take("+Service shop/web:81"), (Events{"+Service shop/web:81"}));
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
  WatchedSource watched(dir.path());
  EXPECT_EQ(watched.take(2).size(), 2u);
  // Three writes, and the clock does not move until take(): one burst, read once when it is over.
  for (int port : {81, 82, 83}) writeInPlace(file, service("web", port, "10.96.0.10"));
  EXPECT_EQ(watched.take(1), (Events{"+Service shop/web:83"}));
  dir.write("zz.yaml", marker());
  EXPECT_EQ(watched.take(kMarker), Events{kMarker});
}

TEST(FileSourceWatch, StopEndsALongDebounce) {
  TempDir dir;
  std::filesystem::create_directory(dir.path() / "manifests");
  const auto file = dir.write("manifests/a.yaml", service("web", 80, "10.96.0.10"));
  // Watched one level down, so that the parent's watch (on the test's own directory, not /tmp)
  // sees nothing else happening on the machine.
  WatchedSource watched(dir.path() / "manifests", std::chrono::hours(1));
  EXPECT_EQ(watched.take(2).size(), 2u);
  // One change, one inotify event. The source reads its clock three times for it: as
  // it sees it, as it finds the debounce not over, and as it computes how long to wait (after its
  // last look at the stop). It then waits an hour of real time, as the clock does not move: only
  // the stop can end that wait in time.
  const size_t reads = watched.clock().reads();
  std::filesystem::last_write_time(
      file, std::filesystem::last_write_time(file) + std::chrono::seconds(1));
  EXPECT_TRUE(watched.clock().waitForReads(reads + 3));
  watched.stop();  // fails the test, rather than hang, if run() does not return
}

}  // namespace
}  // namespace kpx::watch
