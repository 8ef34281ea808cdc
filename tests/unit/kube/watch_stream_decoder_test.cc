#include "watch/kube/watch_stream_decoder.h"

#include <gtest/gtest.h>

namespace kpx::watch {
namespace {

struct Decoded {
  std::vector<std::string> events;  // "TYPE name"
  std::string error;
};

std::string describe(const WatchEvent& e) {
  std::string name = e.object.value(nlohmann::json::json_pointer("/metadata/name"), std::string());
  return std::string(toString(e.type)) + " " + name;
}

Decoded decodeChunks(const std::vector<std::string>& chunks, size_t cap = 1 << 20) {
  WatchStreamDecoder decoder(cap);
  Decoded out;
  for (const std::string& chunk : chunks) {
    auto fed = decoder.feed(chunk, [&](WatchEvent&& e) {
      out.events.push_back(describe(e));
      return true;
    });
    if (!fed) {
      out.error = fed.error();
      break;
    }
  }
  return out;
}

std::string line(const std::string& type, const std::string& name) {
  return R"({"type":")" + type + R"(","object":{"kind":"Service","metadata":{"name":")" + name +
         R"(","namespace":"default","resourceVersion":"7"}}})" + "\n";
}

const std::string kStream = line("ADDED", "a") + line("MODIFIED", "b") + line("DELETED", "c") +
                            R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}})"
                            "\n";
const std::vector<std::string> kExpected = {"ADDED a", "MODIFIED b", "DELETED c", "BOOKMARK "};

TEST(WatchStreamDecoder, WholeStreamInOneChunk) {
  const Decoded d = decodeChunks({kStream});
  EXPECT_EQ(d.error, "");
  EXPECT_EQ(d.events, kExpected);
}

TEST(WatchStreamDecoder, EverySplitInTwo) {
  for (size_t i = 0; i <= kStream.size(); ++i) {
    const Decoded d = decodeChunks({kStream.substr(0, i), kStream.substr(i)});
    ASSERT_EQ(d.error, "") << "split at " << i;
    ASSERT_EQ(d.events, kExpected) << "split at " << i;
  }
}

TEST(WatchStreamDecoder, EverySplitInThree) {
  for (size_t i = 0; i <= kStream.size(); i += 3) {
    for (size_t j = i; j <= kStream.size(); j += 5) {
      const Decoded d =
          decodeChunks({kStream.substr(0, i), kStream.substr(i, j - i), kStream.substr(j)});
      ASSERT_EQ(d.events, kExpected) << "split at " << i << ", " << j;
    }
  }
}

TEST(WatchStreamDecoder, OneByteAtATime) {
  std::vector<std::string> bytes;
  for (char c : kStream) bytes.emplace_back(1, c);
  EXPECT_EQ(decodeChunks(bytes).events, kExpected);
}

TEST(WatchStreamDecoder, EventsArriveAsSoonAsTheirLineEnds) {
  WatchStreamDecoder decoder;
  std::vector<std::string> seen;
  auto onEvent = [&](WatchEvent&& e) {
    seen.push_back(describe(e));
    return true;
  };
  const std::string first = line("ADDED", "a");
  ASSERT_TRUE(decoder.feed(first.substr(0, first.size() - 1), onEvent));
  EXPECT_TRUE(seen.empty());
  EXPECT_EQ(decoder.pendingBytes(), first.size() - 1);
  ASSERT_TRUE(decoder.feed("\n", onEvent));
  EXPECT_EQ(seen, std::vector<std::string>{"ADDED a"});
  EXPECT_EQ(decoder.pendingBytes(), 0u);
  EXPECT_EQ(decoder.eventsDecoded(), 1u);
}

TEST(WatchStreamDecoder, CrlfAndBlankLines) {
  std::string stream = "\n\r\n" + line("ADDED", "a");
  stream.insert(stream.size() - 1, "\r");
  stream += "   \n" + line("DELETED", "a");
  EXPECT_EQ(decodeChunks({stream}).events, (std::vector<std::string>{"ADDED a", "DELETED a"}));
}

TEST(WatchStreamDecoder, MalformedLineIsAnErrorAfterTheGoodEvents) {
  const Decoded d = decodeChunks({line("ADDED", "a") + "{not json\n" + line("ADDED", "b")});
  EXPECT_EQ(d.events, std::vector<std::string>{"ADDED a"});
  EXPECT_NE(d.error.find("malformed watch event \"{not json\""), std::string::npos) << d.error;
}

TEST(WatchStreamDecoder, WrongShapesAreErrors) {
  EXPECT_NE(decodeChunks({"[1,2]\n"}).error.find("not a JSON object"), std::string::npos);
  EXPECT_NE(decodeChunks({R"({"object":{}})"
                          "\n"})
                .error.find("no \"type\""),
            std::string::npos);
  EXPECT_NE(decodeChunks({R"({"type":"ADDED","object":3})"
                          "\n"})
                .error.find("no \"object\""),
            std::string::npos);
  EXPECT_NE(decodeChunks({R"({"type":"RENAMED","object":{}})"
                          "\n"})
                .error.find("RENAMED"),
            std::string::npos);
}

TEST(WatchStreamDecoder, SizeCapOnACompleteLine) {
  const std::string big = line("ADDED", std::string(300, 'x'));
  const Decoded d = decodeChunks({big}, 200);
  EXPECT_TRUE(d.events.empty());
  EXPECT_NE(d.error.find("over the cap of 200"), std::string::npos) << d.error;
}

TEST(WatchStreamDecoder, SizeCapOnALineStillArriving) {
  // A stream that never sends a newline must not grow the buffer without bound.
  const Decoded d = decodeChunks({std::string(150, ' '), std::string(150, 'x')}, 200);
  EXPECT_NE(d.error.find("over the cap of 200"), std::string::npos) << d.error;
}

TEST(WatchStreamDecoder, ObjectsOfSeveralMebibytesAreFine) {
  const std::string annotation(5 << 20, 'a');
  const std::string big =
      R"({"type":"ADDED","object":{"metadata":{"name":"huge","annotations":{"x":")" + annotation +
      "\"}}}}\n";
  std::vector<std::string> chunks;
  for (size_t at = 0; at < big.size(); at += 16384) chunks.push_back(big.substr(at, 16384));
  chunks.push_back(line("ADDED", "after"));
  const Decoded d = decodeChunks(chunks, WatchStreamDecoder::kDefaultMaxEventBytes);
  EXPECT_EQ(d.error, "");
  EXPECT_EQ(d.events, (std::vector<std::string>{"ADDED huge", "ADDED after"}));
}

TEST(WatchStreamDecoder, HandlerCanStopTheStream) {
  WatchStreamDecoder decoder;
  std::vector<std::string> seen;
  auto fed = decoder.feed(kStream, [&](WatchEvent&& e) {
    seen.push_back(describe(e));
    return seen.size() < 2;
  });
  EXPECT_TRUE(fed);
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED a", "MODIFIED b"}));
}

TEST(WatchStreamDecoder, ObjectIsMovedOut) {
  WatchStreamDecoder decoder;
  nlohmann::json object;
  ASSERT_TRUE(decoder.feed(line("ADDED", "a"), [&](WatchEvent&& e) {
    object = std::move(e.object);
    return true;
  }));
  EXPECT_EQ(object["metadata"]["resourceVersion"], "7");
  EXPECT_EQ(object["kind"], "Service");
}

// Fuzzing regression: 4E400 in an event is a malformed event, not an abort.
TEST(WatchStreamDecoder, ANumberTooLargeForADoubleIsAMalformedEvent) {
  const Decoded d = decodeChunks({R"({"type":"ADDED","object":{"x":4E400}})" "\n"});
  EXPECT_TRUE(d.events.empty());
  EXPECT_NE(d.error.find("malformed watch event"), std::string::npos) << d.error;
}

}  // namespace
}  // namespace kpx::watch
