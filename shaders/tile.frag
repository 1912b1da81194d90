#version 330 core
// Tiles: the hot path (most of every frame's pixels), so nothing but a
// texture fetch. Patterns, rectangles and text use ui.frag.
in vec2 v_uv;

uniform sampler2D u_tex;
uniform float u_alpha;

out vec4 o_color;

void main()
{
    o_color = vec4(texture(u_tex, v_uv).rgb, u_alpha);
}
