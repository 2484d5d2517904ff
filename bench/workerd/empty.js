// The bench's empty Worker: a constant 200, no jazzrpc. What workerd, Miniflare and
// loopback HTTP cost alone, the floor of the other figures.
export default {
  async fetch(request) {
    await request.arrayBuffer(); // the body is read, as the route reads it
    return new Response('{"type":"success"}', { headers: { "Content-Type": "application/json" } });
  },
};
